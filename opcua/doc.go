// Package opcua reads values, events and alarms from OPC UA servers:
// endpoint and security selection, client certificates and a trust list,
// sessions, browsing, subscriptions and polling, event filters and
// condition refresh, batching by server limits, and reconnecting; and it
// acknowledges, confirms and comments alarms through a running source. It
// emits tag.Samples and knows nothing about JavaScript or NATS.
//
// The gopcua library is imported as gopcua to avoid the name clash.
package opcua
