// Package sink publishes tag.Messages to NATS: an embedded nats-server by
// default (JetStream on local disk, optional leafnode uplink) or an external
// server or cluster; core or JetStream publishing with bounded acks in
// flight, de-duplication ids and counted losses.
package sink
