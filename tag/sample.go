package tag

import "time"

// Sample is one value read from OPC UA. It is passed by value; Node is shared.
//
// Value holds the typed Go value: bool, int8..int64, uint8..uint64, float32,
// float64, string, time.Time, []byte (ByteString), the element slices of
// those for arrays ([]float64, []int32, []any for mixed or nested arrays),
// map[string]any for decoded structures, or one of the small wrapper types
// in this package (LocalizedText, QualifiedName, ...) that keep an OPC UA
// type's identity. nil means the server sent no value (e.g. bad status).
type Sample struct {
	Node  *Node
	Value any
	// SourceTime and ServerTime are the OPC UA timestamps; zero when absent.
	SourceTime time.Time
	ServerTime time.Time
	// ReceivedAt is when the sample reached edgetag.
	ReceivedAt time.Time
	// Status is the OPC UA status code (0 = Good).
	Status uint32
	// Meta holds msg.meta keys of this sample alone, set over the node's
	// (an event's id, source and severity); nil for a data value. A key
	// the node's meta also has takes the sample's value. Owned by the
	// sample once emitted, never modified after.
	Meta []Header
}
