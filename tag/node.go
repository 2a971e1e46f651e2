package tag

// Node is the static description of one OPC UA variable as a source knows it.
// A source builds one Node per variable (after browsing) and shares the
// pointer with every Sample of that variable, so per-node facts cost nothing
// per value. A Node is immutable once a Sample refers to it; stages may use
// the pointer as a map key for per-node caches.
//
// What all nodes of a source have in common is kept once, in the
// SourceInfo they share, so a node costs only its own strings (a site may
// have hundreds of thousands of nodes: keep Node small).
type Node struct {
	// Src is the source the node belongs to, shared by all nodes of that
	// source; nil means a node of no known source (Source and Endpoint
	// return ""). Immutable, like the Node.
	Src *SourceInfo
	// ID is the node id in its standard string form (ns=2;s=Line1.Temp).
	ID string
	// BrowseName is the node's browse name as the server reports it.
	BrowseName string
	// Name is BrowseName made subject-safe: every character outside
	// [A-Za-z0-9_-] becomes '_'.
	Name string
	// Group is the dot-separated, subject-safe folder path below the
	// configured browse root ("" for a node configured directly).
	Group string
	// Path is Group + "." + Name, or Name when Group is empty.
	Path string
	// DataType is the OPC UA built-in type name of the value (Double,
	// UInt64, String, ...); "" when unknown.
	DataType string
	// Extra holds further metadata that reaches the engine as msg.meta keys
	// (e.g. meta given on an offline `process` input line). It may be nil.
	Extra map[string]string
}

// SourceInfo is what every node of one source has in common. A source makes
// one and points all its nodes at it; it is immutable once a Node refers to
// it.
type SourceInfo struct {
	// Name is the configured source name (site file sources[].name).
	Name string
	// Endpoint is the OPC UA endpoint URL the values are read from.
	Endpoint string
}

// Source returns the configured name of the node's source, or "" when the
// node has none (nil Src).
func (n *Node) Source() string {
	if n.Src == nil {
		return ""
	}
	return n.Src.Name
}

// Endpoint returns the endpoint URL of the node's source, or "" when the
// node has none (nil Src).
func (n *Node) Endpoint() string {
	if n.Src == nil {
		return ""
	}
	return n.Src.Endpoint
}
