package engine

import (
	"math/bits"
	"sync"

	"github.com/edgetag/edgetag/tag"
)

// A node's shared headers (see headerVariant) are a tag.HeaderBlock: the
// node, the values only it has, and a layout the engine shares among all
// nodes whose headers have the same keys and take their values from the
// same places. With the default headers ("*") the values are nearly all
// fields of the node (opcua_node_id, opcua_tag_name, a script's tag_name
// copied from it, ...), type names and "Good", or literals a script sets
// for every node (location_path, data_contract), so most nodes' blocks hold
// no value of their own and cost a few words instead of 32 bytes a header
// (BenchmarkEngineNodes measures the bytes per node).
//
// Which values go into a layout: those of the vocabulary (see
// vocabularyValue), and those equal to the values at the same places of the
// first block the shape (keys and sources) was seen with. A value unique
// to one node (e.g. a virtual_path made from its name) thus stays in the
// node's block, while the first node's literals become the layout's.

// layoutTable interns the layouts of an engine's header blocks. Lookups
// happen only when a node's headers change and none of its last layouts
// fits them (see block), not per message.
type layoutTable struct {
	mu sync.RWMutex
	// shapes maps the key of a shape (see shapeKey) to its layouts, and n
	// counts the layouts; both guarded by mu.
	shapes map[string]*layoutShape
	n      int
	// limit is the most layouts the table keeps; 0 means maxLayouts.
	limit int
}

// maxLayouts bounds the layouts a table keeps (a script may make keys or
// sources vary without bound); a block whose layout does not fit gets a
// layout of its own, which costs it about what a plain header list would.
const maxLayouts = 1024

// layoutShape holds the layouts of one shape.
type layoutShape struct {
	// first are the own values of the block the shape was made for, in
	// order. Immutable.
	first []string
	// layouts maps the set of own values equal to first's at their place
	// (bit i for the i-th, the first 64 only) to the layout in which they
	// are the layout's; guarded by the table's mu.
	layouts map[uint64]*tag.HeaderLayout
}

// mask returns the set of vals equal to s.first at their place.
func (s *layoutShape) mask(vals []string) uint64 {
	var m uint64
	for i := range min(len(vals), len(s.first), 64) {
		if vals[i] == s.first[i] {
			m |= 1 << i
		}
	}
	return m
}

// block returns the header block of node n holding exactly cand, in
// order. It keeps no reference to cand. It takes the first of the layouts
// try that fits cand (the node's current ones: when a value of its own
// changes, e.g. one a script sets from the payload, the node's last
// layout fits the next headers) unless a value the block would keep has a
// source elsewhere (e.g. "Good" after a bad status), and else looks in the
// table.
func (t *layoutTable) block(cand []tag.Header, n *tag.Node, try ...*tag.HeaderLayout) tag.HeaderBlock {
	for _, l := range try {
		if l == nil {
			continue
		}
		var buf [8]string
		if own, ok := l.AppendValues(buf[:0], cand, n); ok && ownOnly(l, cand, n) {
			var vals []string // not own, which may be on the stack
			if len(own) > 0 {
				vals = append(vals, own...)
			}
			return tag.NewHeaderBlock(l, n, vals)
		}
	}
	var specBuf [24]tag.HeaderSpec
	var valBuf [8]string
	var keyBuf [512]byte
	specs, vals, key := specBuf[:0], valBuf[:0], keyBuf[:0]
	for _, h := range cand {
		s := tag.HeaderSpec{Key: h.Key, From: headerSource(h.Key, h.Value, n)}
		key = appendKeyPart(key, h.Key)
		key = append(key, byte(s.From))
		switch s.From {
		case tag.FromLayout:
			s.Value = h.Value
			key = appendKeyPart(key, h.Value)
		case tag.FromBlock:
			vals = append(vals, h.Value)
		}
		specs = append(specs, s)
	}

	var l *tag.HeaderLayout
	var mask uint64
	t.mu.RLock()
	sh := t.shapes[string(key)]
	if sh != nil {
		mask = sh.mask(vals)
		l = sh.layouts[mask]
	}
	t.mu.RUnlock()
	if l == nil {
		l, mask = t.add(key, specs, vals)
	}

	var own []string
	if k := len(vals) - bits.OnesCount64(mask); k > 0 {
		own = make([]string, 0, k)
		for i, v := range vals {
			if i >= 64 || mask&(1<<i) == 0 {
				own = append(own, v)
			}
		}
	}
	return tag.NewHeaderBlock(l, n, own)
}

// appendKeyPart appends s to a shape key, its length first (7 bits a
// byte, the last byte below 0x80), so that no two lists of parts give the
// same key.
func appendKeyPart(key []byte, s string) []byte {
	n := uint(len(s))
	for ; n >= 0x80; n >>= 7 {
		key = append(key, byte(n)|0x80)
	}
	key = append(key, byte(n))
	return append(key, s...)
}

// ownOnly reports whether every value of cand that layout l leaves to the
// block has no other source (see headerSource).
func ownOnly(l *tag.HeaderLayout, cand []tag.Header, n *tag.Node) bool {
	if l.NumValues() == 0 {
		return true
	}
	for i := range cand {
		if l.Spec(i).From == tag.FromBlock && headerSource(cand[i].Key, cand[i].Value, n) != tag.FromBlock {
			return false
		}
	}
	return true
}

// add returns the layout of specs with the own values vals, adding it
// (and its shape) to the table unless the table is full, and the set of
// vals the layout holds.
func (t *layoutTable) add(key []byte, specs []tag.HeaderSpec, vals []string) (*tag.HeaderLayout, uint64) {
	limit := t.limit
	if limit == 0 {
		limit = maxLayouts
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shapes[string(key)]
	if sh == nil && t.n < limit {
		sh = &layoutShape{first: append([]string(nil), vals...), layouts: make(map[uint64]*tag.HeaderLayout, 1)}
		if t.shapes == nil {
			t.shapes = make(map[string]*layoutShape)
		}
		t.shapes[string(key)] = sh
	}
	if sh == nil {
		return layoutOf(specs, vals, 0), 0
	}
	mask := sh.mask(vals)
	if l := sh.layouts[mask]; l != nil {
		return l, mask // added meanwhile
	}
	if t.n >= limit {
		return layoutOf(specs, vals, 0), 0
	}
	l := layoutOf(specs, vals, mask)
	sh.layouts[mask] = l
	t.n++
	return l, mask
}

// layoutOf returns the layout of specs in which the own values in mask
// are the layout's. It modifies specs.
func layoutOf(specs []tag.HeaderSpec, vals []string, mask uint64) *tag.HeaderLayout {
	j := 0
	for i := range specs {
		if specs[i].From != tag.FromBlock {
			continue
		}
		if j < 64 && mask&(1<<j) != 0 {
			specs[i].From, specs[i].Value = tag.FromLayout, vals[j]
		}
		j++
	}
	return tag.NewHeaderLayout(specs)
}

// headerSource returns where the shared header k: v of node n takes its
// value from: the node field its key names when that holds v (the engine's
// own keys), else the layout for a vocabulary value, else the first node
// field holding v (a script's copy such as tag_name = opcua_tag_name),
// else the block.
func headerSource(k, v string, n *tag.Node) tag.HeaderFrom {
	if f := keyField(k); f != tag.FromBlock && f.Field(n) == v {
		return f
	}
	if vocabularyValue(v) {
		return tag.FromLayout
	}
	for _, f := range tag.NodeFields {
		if f.Field(n) == v {
			return f
		}
	}
	return tag.FromBlock
}

// keyField returns the node field engine key k holds, or FromBlock.
func keyField(k string) tag.HeaderFrom {
	switch k {
	case MetaSource:
		return tag.FromSource
	case MetaEndpoint:
		return tag.FromEndpoint
	case MetaNodeID, MetaAttrNodeID:
		return tag.FromID
	case MetaTagName:
		return tag.FromName
	case MetaTagGroup:
		return tag.FromGroup // the name at the root: found among the fields
	case MetaTagPath:
		return tag.FromGroup // see umhpath.go
	case MetaAttrBrowseName:
		return tag.FromBrowseName
	case MetaDataType, MetaAttrDataType:
		return tag.FromDataType
	}
	return tag.FromBlock
}

// vocabularyValue reports whether v is one of the few values many nodes
// share whatever the script: a type name (see typeNames), "Good", "".
func vocabularyValue(v string) bool {
	if v == "" || v == "Good" {
		return true
	}
	_, ok := typeIndex[v]
	return ok
}
