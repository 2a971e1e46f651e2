package tag

import (
	"slices"
	"testing"
)

// TestHeaderBlock checks that a block gives every header from its source,
// in order, through At, Equal and a message's EachHeader.
func TestHeaderBlock(t *testing.T) {
	t.Parallel()
	n := &Node{Src: &SourceInfo{Name: "plc1", Endpoint: "opc.tcp://h:4840"}, ID: "ns=2;s=A.b", BrowseName: "b°", Name: "b_",
		Group: "A", Path: "A.b_", DataType: "Double"}
	l := NewHeaderLayout([]HeaderSpec{
		{Key: "own1", From: FromBlock},
		{Key: "source", From: FromSource},
		{Key: "endpoint", From: FromEndpoint},
		{Key: "id", From: FromID},
		{Key: "const", From: FromLayout, Value: "c"},
		{Key: "browse", From: FromBrowseName},
		{Key: "name", From: FromName, Value: "ignored"},
		{Key: "group", From: FromGroup},
		{Key: "path", From: FromPath},
		{Key: "type", From: FromDataType},
		{Key: "own2", From: FromBlock},
	})
	want := []Header{
		{"own1", "v1"}, {"source", "plc1"}, {"endpoint", "opc.tcp://h:4840"}, {"id", "ns=2;s=A.b"},
		{"const", "c"}, {"browse", "b°"}, {"name", "b_"}, {"group", "A"}, {"path", "A.b_"},
		{"type", "Double"}, {"own2", "v2"},
	}
	b := NewHeaderBlock(l, n, []string{"v1", "v2"})
	m := Message{SharedHeaders: &b, Headers: []Header{{"ts", "1"}}}
	var got []Header
	m.EachHeader(func(h Header) { got = append(got, h) })
	if !slices.Equal(got, append(slices.Clone(want), Header{"ts", "1"})) || m.NumHeaders() != len(want)+1 {
		t.Errorf("headers %v (%d), want %v and ts", got, m.NumHeaders(), want)
	}
	if b.NumValues() != 2 || l.NumValues() != 2 || l.Len() != len(want) || b.Node() != n || b.Layout() != l {
		t.Errorf("block: %d values, layout %d of %d", b.NumValues(), l.NumValues(), l.Len())
	}
	if s := l.Spec(6); s != (HeaderSpec{Key: "name", From: FromName}) {
		t.Errorf("spec 6 %+v", s)
	}

	// equal: b holds hs; own: the values hs gives l's own headers when hs
	// fits l (nil: it does not).
	tests := []struct {
		name  string
		hs    []Header
		equal bool
		own   []string
	}{
		{name: "same", hs: want, equal: true, own: []string{"v1", "v2"}},
		{name: "other own value", hs: replace(want, 10, Header{"own2", "x"}), own: []string{"v1", "x"}},
		{name: "other field value", hs: replace(want, 7, Header{"group", "B"})},
		{name: "other constant", hs: replace(want, 4, Header{"const", "d"})},
		{name: "other key", hs: replace(want, 1, Header{"src", "plc1"})},
		{name: "one less", hs: want[:len(want)-1]},
		{name: "one more", hs: append(slices.Clone(want), Header{"x", "y"})},
		{name: "none", hs: nil},
	}
	for _, tt := range tests {
		if got := b.Equal(tt.hs); got != tt.equal {
			t.Errorf("%s: Equal = %v, want %v", tt.name, got, tt.equal)
		}
		own, ok := l.AppendValues([]string{"before"}, tt.hs, n)
		if ok != (tt.own != nil) || ok && !slices.Equal(own, append([]string{"before"}, tt.own...)) {
			t.Errorf("%s: AppendValues = %v, %v; want %v", tt.name, own, ok, tt.own)
		}
		if ok {
			if nb := NewHeaderBlock(l, n, own[1:]); !nb.Equal(tt.hs) {
				t.Errorf("%s: the block of the appended values does not hold the headers", tt.name)
			}
		}
	}
}

func replace(hs []Header, i int, h Header) []Header {
	hs = slices.Clone(hs)
	hs[i] = h
	return hs
}

// TestHeaderBlockEmpty checks blocks that hold nothing, and headerBlockOf.
func TestHeaderBlockEmpty(t *testing.T) {
	t.Parallel()
	var m Message
	m.EachHeader(func(h Header) { t.Errorf("nil block gave %v", h) })
	if m.NumHeaders() != 0 || !(&HeaderBlock{}).Equal(nil) || m.SharedHeaders.NumValues() != 0 {
		t.Errorf("an empty block is not empty")
	}
	hs := []Header{{"a", "1"}, {"b", "2"}, {"a", "3"}}
	b := headerBlockOf(hs...)
	hs[0].Value = "changed" // the block holds a copy
	if !b.Equal([]Header{{"a", "1"}, {"b", "2"}, {"a", "3"}}) || b.Node() != nil || b.NumValues() != 0 {
		t.Errorf("headerBlockOf does not hold its headers")
	}
}

// TestNewHeaderBlockChecks checks that NewHeaderBlock refuses a wrong
// number of values and a nil node for a layout that reads node fields.
func TestNewHeaderBlockChecks(t *testing.T) {
	t.Parallel()
	l := NewHeaderLayout([]HeaderSpec{{Key: "a", From: FromBlock}, {Key: "b", From: FromName}})
	for _, tc := range []struct {
		name string
		n    *Node
		vals []string
	}{
		{"no value", &Node{}, nil},
		{"two values", &Node{}, []string{"x", "y"}},
		{"nil node", nil, []string{"x"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			NewHeaderBlock(l, tc.n, tc.vals)
		}()
	}
}

// headerBlockOf returns a block holding a copy of hs, in order, that refers
// to no node: a layout of its own with every value FromLayout.
func headerBlockOf(hs ...Header) *HeaderBlock {
	specs := make([]HeaderSpec, len(hs))
	for i, h := range hs {
		specs[i] = HeaderSpec{Key: h.Key, From: FromLayout, Value: h.Value}
	}
	b := NewHeaderBlock(NewHeaderLayout(specs), nil, nil)
	return &b
}
