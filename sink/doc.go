// Package sink publishes tag.Messages to NATS: an embedded nats-server by
// default (JetStream on local disk, optional leafnode uplink) or an external
// server or cluster; core or JetStream publishing with bounded acks in
// flight, de-duplication ids and counted losses.
//
// # Never losing silently
//
// The sink applies backpressure instead of dropping. With JetStream, Publish
// takes one of MaxAckPending slots and blocks while all are taken; a slot is
// freed only when the stream acks the message or the message is counted as
// lost. A failed publish (negative ack, ack timeout, disconnect) is retried
// with capped, jittered backoff and the same Nats-Msg-Id (see MsgID), so a
// retry that follows a lost ack is de-duplicated by the stream. With core
// NATS to a remote server, the client buffers up to ReconnectBufSize while
// disconnected; when that buffer is full Publish blocks until the connection
// is back. Before the first connection nothing with headers can be buffered
// (the client has not seen the server's INFO), so Publish blocks until then.
//
// A message is lost only when the caller's ctx ends while Publish is
// blocked, when the server can never take it (too large, invalid), or at
// Close: JetStream messages still unacked, core messages still in the
// reconnect buffer without a connection. Each loss is counted in
// Stats.Lost under its reason and logged (rate-limited).
//
// The stream itself can lose what it stored: its max_bytes and max_age
// discard the oldest messages, someone may delete it, a full disk stops its
// store. A watch reads the stream every JetStream.WatchInterval (and at
// once after a failed publish) and counts every message that left it before
// any consumer, a hub's source included, was delivered it, by reason and
// with its sequence range (Stats.Stream.Discarded, the Discard* constants).
// It creates a missing stream again with its configured limits, restarts
// the embedded server's JetStream after a store write error, and NotReady
// says why the sink cannot publish meanwhile.
//
// # Order
//
// The messages of one Publish caller are handed to the connection in call
// order, and the stream stores them in that order. A message whose publish
// failed is re-published after the ones that followed it, so after a
// failure (or a reconnect to a remote server) a node's messages can be out
// of order in the stream; consumers that need strict order use the
// payload's timestamp_ms. With the embedded server publishing is in-process
// and failures are rare.
//
// # Store and forward
//
// With an embedded server, JetStream and a leafnode remote, messages are
// acked by the gateway's own file store, so nothing waits for the uplink. A
// hub's stream sources the gateway's stream across the leaf connection
// (External API prefix "$JS.<domain>.API") and catches up after an outage.
package sink
