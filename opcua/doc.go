// Package opcua reads values from OPC UA servers: endpoint and security
// selection, client certificates and a trust list, sessions, browsing,
// subscriptions and polling, batching by server limits, and reconnecting.
// It emits tag.Samples and knows nothing about JavaScript or NATS.
//
// The gopcua library is imported as gopcua to avoid the name clash.
package opcua
