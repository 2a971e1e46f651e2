package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// sortedHeaders returns a message's headers sorted by key.
func sortedHeaders(m tag.Message) []tag.Header {
	return slices.SortedFunc(slices.Values(allHeaders(m)), func(a, b tag.Header) int { return strings.Compare(a.Key, b.Key) })
}

// TestHeaderBlocks checks that the shared header blocks of nodes of every
// kind hold exactly the headers of a plain copy of their meta, first and
// cached, and that nodes whose headers differ only in values of their own
// share one layout and keep just those values.
func TestHeaderBlocks(t *testing.T) {
	t.Parallel()
	defaults := testDefaults + `
msg.meta.virtual_path = "v_" + msg.meta.opcua_tag_name;
msg.meta.group_copy = msg.meta.opcua_tag_group;
return [msg, {payload: msg.payload, meta: Object.assign({}, msg.meta)}];`
	e := newTestEngine(t, Config{Defaults: Snippet{Code: defaults}, Runtimes: 1, BadStatus: BadStatusKeep}, zerolog.Nop())

	direct := testNode("direct") // configured directly: no group
	direct.Group, direct.Path = "", "direct"
	umlaut := testNode("K_hlung") // a browse name that is not its name
	umlaut.BrowseName = "Kühlung"
	twin := testNode("line1") // a name equal to its group
	noType := testNode("raw")
	noType.DataType = ""
	samples := []tag.Sample{
		testSample(testNode("a"), 1.0),
		testSample(testNode("b"), 2.0),
		testSample(testNode("c"), 3.0),
		testSample(direct, 4.0),
		testSample(umlaut, 5.0),
		testSample(twin, 6.0),
		testSample(noType, "text"),
	}
	bad := testSample(testNode("bad"), 7.0)
	bad.Status = 0x80340000 // BadNodeIdUnknown
	bad.ServerTime = bad.ServerTime.AddDate(-100, 0, 0)
	samples = append(samples, bad)

	blocks := make([]*tag.HeaderBlock, len(samples))
	for i, s := range samples {
		for pass := range 2 { // the second pass reuses the node's block
			r := process(e, s)
			if len(r.msgs) != 2 || len(r.fails) > 0 {
				t.Fatalf("%s: %d messages, failures %v", s.Node.Name, len(r.msgs), r.fails)
			}
			if diff := cmp.Diff(sortedHeaders(r.msgs[1]), sortedHeaders(r.msgs[0])); diff != "" {
				t.Errorf("%s pass %d: headers (-plain copy +shared block):\n%s", s.Node.Name, pass, diff)
			}
			if pass == 1 && r.msgs[0].SharedHeaders != blocks[i] {
				t.Errorf("%s: the second message did not reuse the node's block", s.Node.Name)
			}
			blocks[i] = r.msgs[0].SharedHeaders
		}
	}

	// a's values made the layout of its shape; b and c differ from a
	// only in their virtual_path, which is all they keep.
	a, b, c := blocks[0], blocks[1], blocks[2]
	if a.NumValues() != 0 {
		t.Errorf("first node keeps %d values, want 0", a.NumValues())
	}
	if b.Layout() != c.Layout() || b.Layout() == a.Layout() {
		t.Errorf("layouts of b and c not shared (or same as a's)")
	}
	for _, blk := range []*tag.HeaderBlock{b, c} {
		if blk.NumValues() != 1 {
			t.Errorf("%s keeps %d values, want 1 (its virtual_path)", blk.Node().Name, blk.NumValues())
		}
	}
}

// TestLayoutTableLimit checks that blocks past the table's limit get
// layouts of their own with the right headers, and that the table keeps no
// more layouts than its limit.
func TestLayoutTableLimit(t *testing.T) {
	t.Parallel()
	tab := layoutTable{limit: 2}
	n := testNode("a")
	var blocks []tag.HeaderBlock
	var cands [][]tag.Header
	for i, k := range []string{"x", "y", "z", "x"} {
		cand := []tag.Header{
			{Key: MetaTagName, Value: n.Name},
			{Key: k, Value: "value " + k},
			{Key: "status", Value: "Good"},
			{Key: "n", Value: strings.Repeat("i", i+1)},
		}
		blocks = append(blocks, tab.block(cand, n))
		cands = append(cands, cand)
	}
	for i := range blocks {
		if !blocks[i].Equal(cands[i]) {
			var got []tag.Header
			for j := range blocks[i].Len() {
				got = append(got, blocks[i].At(j))
			}
			t.Errorf("block %d holds %v, want %v", i, got, cands[i])
		}
	}
	if tab.n != 2 || len(tab.shapes) != 2 {
		t.Errorf("table holds %d layouts of %d shapes, want 2 of 2", tab.n, len(tab.shapes))
	}
	// The third has a shape of its own, the fourth the first's shape with
	// a value of its own: past the limit, both keep all their values.
	for _, i := range []int{2, 3} {
		if l := blocks[i].Layout(); l == blocks[0].Layout() || l == blocks[1].Layout() || blocks[i].NumValues() != 2 {
			t.Errorf("block %d past the limit: %d values, layout shared: %v", i, blocks[i].NumValues(), l == blocks[0].Layout() || l == blocks[1].Layout())
		}
	}
}

// TestHeaderBlockChanges checks the blocks of a node whose headers change
// message after message: they hold the right values, the node's layout is
// reused for a value of its own, and not when a value it would keep (a
// status back to Good) has a source of its own.
func TestHeaderBlockChanges(t *testing.T) {
	t.Parallel()
	defaults := testDefaults + `
msg.meta.v = String(msg.payload);
return [msg, {payload: msg.payload, meta: Object.assign({}, msg.meta)}];`
	e := newTestEngine(t, Config{Defaults: Snippet{Code: defaults}, Runtimes: 1, BadStatus: BadStatusKeep}, zerolog.Nop())
	run := func(s tag.Sample) *tag.HeaderBlock {
		t.Helper()
		r := process(e, s)
		if len(r.msgs) != 2 || len(r.fails) > 0 {
			t.Fatalf("%s: %d messages, failures %v", s.Node.Name, len(r.msgs), r.fails)
		}
		if diff := cmp.Diff(sortedHeaders(r.msgs[1]), sortedHeaders(r.msgs[0])); diff != "" {
			t.Errorf("%s %v: headers (-plain copy +shared block):\n%s", s.Node.Name, s.Value, diff)
		}
		return r.msgs[0].SharedHeaders
	}
	n := testNode("a")
	var blocks []*tag.HeaderBlock
	for v := range 4 {
		blocks = append(blocks, run(testSample(n, float64(v))))
	}
	for _, b := range blocks[2:] {
		if b.Layout() != blocks[1].Layout() || b.NumValues() != 1 {
			t.Errorf("block of %s: %d values, same layout as the last: %v", b.At(b.Len()-1).Value, b.NumValues(), b.Layout() == blocks[1].Layout())
		}
	}

	// The layout of b's first block leaves its statuses to the block (they
	// differ from those of c, which made the shape); "Good" has a source
	// of its own, so b's next block does not keep it.
	bad := func(n *tag.Node, v float64, status uint32) tag.Sample {
		s := testSample(n, v)
		s.Status = status
		return s
	}
	run(bad(testNode("c"), 5.0, 0x80340000)) // BadNodeIdUnknown
	m := testNode("b")
	if b := run(bad(m, 7.0, 0x80330000)); b.NumValues() != 3 { // BadNodeIdInvalid
		t.Errorf("bad block keeps %d values, want 3 (two statuses, v)", b.NumValues())
	}
	if b := run(testSample(m, 8.0)); b.NumValues() != 1 {
		t.Errorf("good block after a bad one keeps %d values, want 1 (v)", b.NumValues())
	}
}
