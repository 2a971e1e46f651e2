package tag

// A node's messages mostly carry the same headers message after message,
// and most of their values are strings its Node already holds (its name,
// id, path, ...) or strings all nodes share (a type name, "Good", a
// location set by a script). A HeaderBlock keeps such headers compactly: a
// HeaderLayout, shared by every block with the same keys and value sources,
// says for each header its key and where its value comes from, and the
// block adds only the node and the values that come from nowhere else.

// HeaderFrom says where the value of a header of a HeaderLayout comes from.
type HeaderFrom uint8

// The value sources of a header.
const (
	// FromBlock takes the block's next own value (see NewHeaderBlock).
	FromBlock HeaderFrom = iota
	// FromLayout takes HeaderSpec.Value: the same value in every block.
	FromLayout
	// The others take one string field of the block's Node (FromSource and
	// FromEndpoint that of its SourceInfo).
	FromSource
	FromEndpoint
	FromID
	FromBrowseName
	FromName
	FromGroup
	FromPath
	FromDataType
)

// NodeFields are the sources that take a field of the block's Node.
var NodeFields = [...]HeaderFrom{FromSource, FromEndpoint, FromID, FromBrowseName, FromName, FromGroup, FromPath, FromDataType}

// isNodeField reports whether from takes a field of the Node.
func (from HeaderFrom) isNodeField() bool { return from >= FromSource && from <= FromDataType }

// Field returns the field of n that from names, or "" when from names
// none (FromBlock, FromLayout) or n is nil. It is the one place that maps
// sources to fields.
func (from HeaderFrom) Field(n *Node) string {
	if n == nil {
		return ""
	}
	switch from {
	case FromSource, FromEndpoint:
		if n.Src == nil {
			return ""
		}
		if from == FromSource {
			return n.Src.Name
		}
		return n.Src.Endpoint
	case FromID:
		return n.ID
	case FromBrowseName:
		return n.BrowseName
	case FromName:
		return n.Name
	case FromGroup:
		return n.Group
	case FromPath:
		return n.Path
	case FromDataType:
		return n.DataType
	}
	return ""
}

// HeaderSpec is one header of a HeaderLayout: its key and where its value
// comes from.
type HeaderSpec struct {
	Key  string
	From HeaderFrom
	// Value is the value of a FromLayout header; it is ignored otherwise.
	Value string
}

// HeaderLayout is the part of a HeaderBlock that many blocks, of any nodes,
// may share: the keys in order and where each value comes from. It is
// immutable.
type HeaderLayout struct {
	specs []layoutSpec
	nvals int // the number of FromBlock headers
}

// layoutSpec is a HeaderSpec with the index of a FromBlock header's value
// among the block's own values.
type layoutSpec struct {
	key, val string
	from     HeaderFrom
	slot     int32
}

// NewHeaderLayout returns the layout of specs, in order. It does not keep
// specs. It panics on a From that is none of the sources above.
func NewHeaderLayout(specs []HeaderSpec) *HeaderLayout {
	l := &HeaderLayout{specs: make([]layoutSpec, len(specs))}
	for i, s := range specs {
		ls := layoutSpec{key: s.Key, from: s.From}
		switch s.From {
		case FromBlock:
			ls.slot = int32(l.nvals)
			l.nvals++
		case FromLayout:
			ls.val = s.Value
		default:
			if !s.From.isNodeField() {
				panic("tag: unknown header source")
			}
		}
		l.specs[i] = ls
	}
	return l
}

// Len returns the number of headers of the layout.
func (l *HeaderLayout) Len() int { return len(l.specs) }

// NumValues returns the number of FromBlock headers: the number of values
// a block of the layout holds itself.
func (l *HeaderLayout) NumValues() int { return l.nvals }

// Spec returns header i of the layout.
func (l *HeaderLayout) Spec(i int) HeaderSpec {
	s := &l.specs[i]
	return HeaderSpec{Key: s.key, From: s.from, Value: s.val}
}

// AppendValues appends to vals the values hs gives the FromBlock headers
// of l, in order, and reports whether hs fits l: the same keys in order,
// and every other value the one l gives it for node n. When it does,
// NewHeaderBlock(l, n, own) holds exactly hs, own being what was appended.
func (l *HeaderLayout) AppendValues(vals []string, hs []Header, n *Node) ([]string, bool) {
	if len(hs) != len(l.specs) {
		return vals, false
	}
	for i := range hs {
		s := &l.specs[i]
		if !same(s.key, hs[i].Key) {
			return vals, false
		}
		switch s.from {
		case FromBlock:
			vals = append(vals, hs[i].Value)
			continue
		case FromLayout:
			if same(s.val, hs[i].Value) {
				continue
			}
		default:
			if n != nil && s.from.Field(n) == hs[i].Value {
				continue
			}
		}
		return vals, false
	}
	return vals, true
}

// HeaderBlock is an immutable list of headers: a HeaderLayout with the Node
// its node fields are read from and the block's own values. Any number of
// messages may refer to one block (see Message.SharedHeaders); it costs a
// node only its own values and a few words, the layout being shared. The
// zero HeaderBlock holds no header.
type HeaderBlock struct {
	layout *HeaderLayout
	node   *Node
	// vals are the block's layout.nvals own values.
	vals []string
}

// NewHeaderBlock returns the block of layout l for node n, whose FromBlock
// headers take vals in order. It panics unless len(vals) is
// l.NumValues(), or when l reads fields of a nil n. The block keeps vals
// (the caller must not modify it afterwards) and n (immutable, see Node).
func NewHeaderBlock(l *HeaderLayout, n *Node, vals []string) HeaderBlock {
	if len(vals) != l.nvals {
		panic("tag: header block with the wrong number of values")
	}
	if n == nil {
		for i := range l.specs {
			if l.specs[i].from.isNodeField() {
				panic("tag: header block reads fields of a nil node")
			}
		}
	}
	return HeaderBlock{layout: l, node: n, vals: vals}
}

// Len returns the number of headers of b; 0 for a nil b.
func (b *HeaderBlock) Len() int {
	if b == nil || b.layout == nil {
		return 0
	}
	return len(b.layout.specs)
}

// Layout returns the layout of b (nil for a nil or zero b).
func (b *HeaderBlock) Layout() *HeaderLayout {
	if b == nil {
		return nil
	}
	return b.layout
}

// Node returns the node whose fields b reads.
func (b *HeaderBlock) Node() *Node {
	if b == nil {
		return nil
	}
	return b.node
}

// NumValues returns the number of values b holds itself.
func (b *HeaderBlock) NumValues() int {
	if b == nil || b.layout == nil {
		return 0
	}
	return b.layout.nvals
}

// At returns header i of b, 0 <= i < b.Len().
func (b *HeaderBlock) At(i int) Header {
	s := &b.layout.specs[i]
	return Header{Key: s.key, Value: b.value(s)}
}

// value returns the value of b's header s.
func (b *HeaderBlock) value(s *layoutSpec) string {
	switch s.from {
	case FromBlock:
		return b.vals[s.slot]
	case FromLayout:
		return s.val
	}
	return s.from.Field(b.node)
}

// same reports whether a and b are equal.
func same(a, b string) bool { return a == b }

// Equal reports whether b holds exactly hs, in order.
func (b *HeaderBlock) Equal(hs []Header) bool {
	if b.Len() != len(hs) {
		return false
	}
	if len(hs) == 0 {
		return true
	}
	specs := b.layout.specs[:len(hs)]
	for i := range specs {
		s := &specs[i]
		if !same(s.key, hs[i].Key) || !same(b.value(s), hs[i].Value) {
			return false
		}
	}
	return true
}
