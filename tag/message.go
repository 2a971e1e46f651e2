package tag

import "time"

// Header is one message header (final metadata key and value).
type Header struct {
	Key   string
	Value string
}

// Message is one message ready to publish. It is passed by value; Payload and
// Headers are owned by the message once emitted and are never modified after.
type Message struct {
	// Subject is the complete NATS subject, prefix included.
	Subject string
	// Payload is the exact bytes to publish:
	// {"value": <v>, "timestamp_ms": <int64>}.
	Payload []byte
	// SharedHeaders and Headers together are the final metadata, in a
	// stable order: SharedHeaders first, then Headers. SharedHeaders is
	// immutable and may be the very same block in many messages of one
	// node (the metadata that did not change since its previous message),
	// so a message costs only its own Headers (e.g. the timestamps), and
	// the block itself mostly refers to the node's fields and a layout
	// shared with other nodes (see HeaderBlock). Either may be nil. Use
	// EachHeader to visit both.
	SharedHeaders *HeaderBlock
	Headers       []Header
	// TimestampMs is the message timestamp written into the payload.
	TimestampMs int64
	// Node is the node the message was made from; nil for messages that do
	// not come from a sample. Stages use it to keep per-node order.
	Node *Node
	// SourceTime is the OPC UA source timestamp of the originating sample
	// (zero when absent); it takes part in the de-duplication id.
	SourceTime time.Time
}

// NumHeaders returns SharedHeaders.Len() + len(Headers).
func (m *Message) NumHeaders() int { return m.SharedHeaders.Len() + len(m.Headers) }

// EachHeader calls f for every header in order: SharedHeaders, then Headers.
func (m *Message) EachHeader(f func(Header)) {
	for i := range m.SharedHeaders.Len() {
		f(m.SharedHeaders.At(i))
	}
	for _, h := range m.Headers {
		f(h)
	}
}
