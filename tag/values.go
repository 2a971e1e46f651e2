package tag

import "strconv"

// The types below keep the identity of OPC UA built-in types that have no
// natural Go equivalent, so the engine can encode each one in its standard
// form (DESIGN §3: LocalizedText as its text, NodeId/QualifiedName/Guid as
// their standard string forms, unknown structures with their type id).

// LocalizedText is an OPC UA LocalizedText; it is published as Text.
type LocalizedText struct {
	Locale string
	Text   string
}

// QualifiedName is an OPC UA QualifiedName, published as "ns:name"
// (just "name" in namespace 0).
type QualifiedName struct {
	NamespaceIndex uint16
	Name           string
}

// String returns the standard string form.
func (q QualifiedName) String() string {
	if q.NamespaceIndex == 0 {
		return q.Name
	}
	return strconv.Itoa(int(q.NamespaceIndex)) + ":" + q.Name
}

// NodeID is an OPC UA NodeId or ExpandedNodeId value, held in its standard
// string form (ns=2;s=Foo, nsu=urn:x;i=5).
type NodeID string

// GUID is an OPC UA Guid in its standard string form
// (72962B91-FA75-4AE6-8D28-B404DC7DAF63).
type GUID string

// XMLElement is an OPC UA XmlElement, published as its text.
type XMLElement string

// StatusCode is an OPC UA StatusCode value, published as its number.
type StatusCode uint32

// ExtensionObject is a structure the source could not decode: its type id
// and raw body. It is published as {"type_id": ..., "body": <base64>}.
type ExtensionObject struct {
	TypeID string
	Body   []byte
}

// Matrix is a multi-dimensional array: Dimensions (outermost first) and the
// elements flattened in row-major order. It is published as nested arrays.
type Matrix struct {
	Dimensions []int
	Elements   []any
}
