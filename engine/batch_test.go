package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// TestProcessBatchMatchesProcess checks that a batch gives the messages of
// processing its samples one by one, in order, and that a throwing, a
// hanging and a node-less sample fail alone, reported with their index.
func TestProcessBatchMatchesProcess(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Defaults: Snippet{Code: testDefaults + `
if (msg.payload === 3) throw new Error("three");
if (msg.payload === 4) while (true) {}
if (msg.payload === 5) return [msg, {payload: 50, meta: Object.assign({}, msg.meta, {tag_name: "copy"})}];
return msg;`},
		Conditions: []Condition{cond(`msg.payload > 1`, `msg.meta.virtual_path = "high"; return msg;`)},
		Timeout:    200 * time.Millisecond,
		Runtimes:   1,
	}
	batch, single := newTestEngine(t, cfg, zerolog.Nop()), newTestEngine(t, cfg, zerolog.Nop())
	n1, n2 := testNode("t1"), testNode("t2")
	var ss []tag.Sample
	for i, v := range []float64{1, 2, 3, 4, 5, 1, 2} {
		n := n1
		if i%2 == 1 {
			n = n2
		}
		ss = append(ss, testSample(n, v))
	}
	ss = append(ss, tag.Sample{Value: 1.0, SourceTime: testT0}) // no node, so no tag name: fails in finalize
	var want []tag.Message
	var wantFails []int
	for i := range ss {
		s := ss[i]
		want = single.Process(&s, want, func(Failure) { wantFails = append(wantFails, i) })
	}
	var gotFails []int
	var reasons []Reason
	got := batch.ProcessBatch(ss, nil, func(i int, f Failure) {
		gotFails = append(gotFails, i)
		reasons = append(reasons, f.Reason)
	})
	if g, w := describe(got), describe(want); g != w {
		t.Errorf("batch:\n got %s\nwant %s", g, w)
	}
	if !slices.Equal(gotFails, wantFails) {
		t.Errorf("failed samples: got %v, want %v", gotFails, wantFails)
	}
	if !slices.Equal(reasons, []Reason{ReasonException, ReasonTimeout, ReasonMissingField}) {
		t.Errorf("reasons %v, want exception, timeout, missing_field", reasons)
	}
	// The runtime is usable after a timeout inside a batch.
	if out := batch.ProcessBatch(ss[:2], nil, nil); len(out) != 2 {
		t.Errorf("after the batch: %d messages, want 2", len(out))
	}
}
