package engine

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// TestManyNodes runs a site with more nodes than the per-runtime caches
// once held (65,536) through two runtimes, then some of them again, and
// checks every message: a node's state is built once and stays right
// however many nodes there are.
func TestManyNodes(t *testing.T) {
	t.Parallel()
	n := 70_000
	if testing.Short() {
		n = 5_000
	}
	cfg := benchConfig("C")
	cfg.Runtimes = 2
	e := newTestEngine(t, cfg, zerolog.Nop())
	nodes := scaleNodes(n)
	for pass := range 2 {
		for i, node := range nodes {
			if pass == 1 && i%7 != 0 {
				continue // a sample of the nodes is enough (and quicker under -race)
			}
			v := 42.5 + float64(i%100) // above 100 for some: the alarm variant
			r := process(e, testSample(node, v))
			if len(r.msgs) != 1 || len(r.fails) != 0 {
				t.Fatalf("pass %d node %d: %d messages, failures %v", pass, i, len(r.msgs), r.fails)
			}
			m := r.msgs[0]
			vpath := ""
			switch {
			case v > 100:
				vpath = "alarm."
			case strings.HasPrefix(node.Name, "temp"):
				vpath = "temperature."
			}
			if want := "umh.v1.enterprise.site.area.line._historian." + vpath + node.Name; m.Subject != want {
				t.Fatalf("pass %d node %d: subject %q, want %q", pass, i, m.Subject, want)
			}
			for _, h := range [][2]string{{MetaNodeID, node.ID}, {MetaAttrBrowseName, node.BrowseName}, {MetaTagGroup, node.Group}, {MetaUNSTagName, node.Name}} {
				if got, _ := header(m, h[0]); got != h[1] {
					t.Fatalf("pass %d node %d: header %s %q, want %q", pass, i, h[0], got, h[1])
				}
			}
		}
	}
	if got := e.nodes.len(); got != n {
		t.Errorf("%d node states, want %d", got, n)
	}
}

// TestSharedNodeStateConcurrent processes the same nodes from several
// goroutines on several runtimes (run it with -race). Scripts read every
// meta key on every sample, and the nodes' strings include long and
// non-ASCII ones, whose JS values goja scans lazily: values shared between
// runtimes must already be scanned.
func TestSharedNodeStateConcurrent(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Defaults: Snippet{Code: `
			let n = 0;
			for (const k of Object.keys(msg.meta)) n += String(msg.meta[k]).length + msg.meta[k].indexOf("ü");
			msg.meta.location_path = "enterprise.site";
			msg.meta.data_contract = "_historian";
			msg.meta.tag_name = msg.meta.opcua_tag_name;
			msg.meta.total = String(n + msg.payload);
			return msg;`},
		Conditions: []Condition{
			{If: Snippet{Code: `msg.meta.opcua_tag_group.endsWith("kühlung")`}, Then: Snippet{Code: `msg.meta.virtual_path = "cooling"; return msg;`}},
			{If: Snippet{Code: `msg.meta.opcua_attr_browsename.length > 10`}, Then: Snippet{Code: `msg.meta.long = msg.meta.opcua_attr_browsename.toUpperCase(); return msg;`}},
		},
		Runtimes: 3,
	}
	e := newTestEngine(t, cfg, zerolog.Nop())
	var nodes []*tag.Node
	src := &tag.SourceInfo{Name: "plc-with-a-long-source-name", Endpoint: "opc.tcp://a-long-host-name.example.com:4840"}
	for i := range 100 {
		name := "a_rather_long_tag_name_" + strconv.Itoa(i)
		nodes = append(nodes, &tag.Node{
			Src:        src,
			ID:         "ns=2;s=Werk.Halle.Straße." + name,
			BrowseName: "Temperatur Kühlung " + strconv.Itoa(i),
			Name:       name,
			Group:      "werk.halle.kühlung",
			Path:       "werk.halle.kühlung." + name,
			DataType:   "Double",
			Extra:      map[string]string{"description": "Vorlauftemperatur des Kühlkreislaufs Nummer " + strconv.Itoa(i)},
		})
	}
	// Every worker goes through the nodes in the same order, so runtimes
	// meet on a node while its values are new.
	const workers, per = 6, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				node := nodes[i%len(nodes)]
				s := testSample(node, float64(i))
				out := e.Process(&s, nil, func(f Failure) { errs <- fmt.Errorf("%v", f) })
				if len(out) != 1 {
					errs <- fmt.Errorf("worker %d sample %d: %d messages", w, i, len(out))
					return
				}
				want := "umh.v1.enterprise.site._historian.cooling." + node.Name
				long, _ := header(out[0], "long")
				if out[0].Subject != want || long != strings.ToUpper(node.BrowseName) {
					errs <- fmt.Errorf("worker %d sample %d: subject %q long %q", w, i, out[0].Subject, long)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestNodeTableAges checks that states of nodes that stopped sending are
// removed once new nodes came and enough lookups passed, while nodes that
// keep sending keep their state, and that a fixed set of nodes is never
// swept.
func TestNodeTableAges(t *testing.T) {
	t.Parallel()
	const n = 1000
	var tab nodeTable
	lookup := func(nodes []*tag.Node) {
		for _, node := range nodes {
			tab.get(&tag.Sample{Node: node}, 3)
		}
	}
	// tick as the runtimes do: every tickEvery lookups.
	run := func(nodes []*tag.Node, lookups int) {
		for i := 0; i < lookups; i += len(nodes) {
			lookup(nodes)
			tab.tick(uint64(len(nodes)))
		}
	}
	old, keep, fresh := scaleNodes(n), scaleNodes(n), scaleNodes(n)
	run(append(old[:n:n], keep...), 2*epochMin)
	states := make(map[*tag.Node]*nodeState)
	for _, node := range keep {
		states[node] = tab.get(&tag.Sample{Node: node}, 3)
	}
	if got := tab.len(); got != 2*n {
		t.Fatalf("%d states after warm-up, want %d", got, 2*n)
	}
	// old stops; fresh nodes arrive.
	run(append(keep[:n:n], fresh...), 4*epochMin)
	if got := tab.len(); got != 2*n {
		t.Fatalf("%d states after the old nodes stopped, want %d", got, 2*n)
	}
	for _, node := range keep {
		if tab.get(&tag.Sample{Node: node}, 3) != states[node] {
			t.Fatalf("a node that kept sending lost its state")
		}
	}
	// Without new nodes, nothing is swept, however long.
	run(keep[:10], 8*epochMin)
	if got := tab.len(); got != 2*n {
		t.Fatalf("%d states after a quiet period, want %d", got, 2*n)
	}
}

// TestSharedValueRace has two runtimes read a node's meta values, made by
// whichever comes first, with nothing between them but the node state (run
// it with -race): long and non-ASCII strings, which goja scans lazily, must
// be shared scanned.
func TestSharedValueRace(t *testing.T) {
	t.Parallel()
	strs := []string{
		"ns=2;s=Werk.Halle.Straße.Temperatur",      // long, non-ASCII
		"ns=2;s=Plant.Area1.Line1.temperature_123", // long, ASCII
		"Kühlung", // short, non-ASCII
		"temp_1",  // short, ASCII
	}
	for range 50 {
		ns := &nodeState{}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 {
			vm := goja.New()
			wg.Go(func() {
				<-start
				for i, s := range strs {
					v := ns.sharedValue(vm, i, s)
					vm.Set("v", v)
					r, err := vm.RunString(`v.length + v.indexOf("ü") + v.toUpperCase().length`)
					if err != nil || r.ToInteger() < int64(len(s)/2) {
						t.Errorf("value %q: %v %v", s, r, err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
	}
}

// TestSubjectWithFewHeaders checks that a node's shared headers stand for
// its subject only when the subject's meta keys are among the headers:
// with a selection that leaves them out, messages with equal headers and
// different subjects keep their own subjects.
func TestSubjectWithFewHeaders(t *testing.T) {
	t.Parallel()
	for _, headers := range [][]string{nil, {}, {MetaNodeID}, {MetaNodeID, MetaLocationPath, MetaDataContract, MetaUNSTagName}} {
		e := newTestEngine(t, Config{
			Defaults: Snippet{Code: `msg.meta.location_path = "enterprise.site"; msg.meta.data_contract = "_historian";
msg.meta.tag_name = msg.payload > 5 ? "hi" : "lo"; return msg;`},
			Headers: headers,
		}, zerolog.Nop())
		n := testNode("t1")
		for i, v := range []float64{1, 9, 2, 8, 3} {
			r := process(e, testSample(n, v))
			want := "umh.v1.enterprise.site._historian.lo"
			if v > 5 {
				want = "umh.v1.enterprise.site._historian.hi"
			}
			if len(r.msgs) != 1 || r.msgs[0].Subject != want {
				t.Fatalf("headers %v sample %d: %v %v, want subject %s", headers, i, r.subjects(), r.fails, want)
			}
		}
	}
}

// TestNodeStateAfterBadFirstSample checks that a node whose first sample
// is BadWaitingForInitialData without a value gets Good and its value's
// types as the reference, so later good samples reuse cached results of
// stages that read the status and the types.
func TestNodeStateAfterBadFirstSample(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults:   Snippet{Code: testDefaults + `msg.meta.kind = msg.meta.opcua_tag_type + "/" + msg.meta.opcua_status_code; return msg;`},
		Conditions: []Condition{cond(`msg.meta.opcua_status_code === "Good"`, `msg.meta.virtual_path = "good"; return msg;`)},
		Runtimes:   1,
		BadStatus:  BadStatusKeep,
	}, zerolog.Nop())
	n := testNode("t1")
	n.DataType = ""
	first := testSample(n, nil)
	first.Status = 0x80320000 // BadWaitingForInitialData
	r := process(e, first)
	if len(r.msgs) != 1 {
		t.Fatalf("first sample: %d messages, failures %v", len(r.msgs), r.fails)
	}
	if got, _ := header(r.msgs[0], "kind"); got != "object/BadWaitingForInitialData" {
		t.Errorf("first sample: kind %q", got)
	}
	for i := range 3 {
		r := process(e, testSample(n, float64(i)))
		if len(r.msgs) != 1 || r.msgs[0].Subject != "umh.v1.enterprise.site._historian.good.t1" {
			t.Fatalf("good sample %d: %v %v", i, r.subjects(), r.fails)
		}
		if got, _ := header(r.msgs[0], "kind"); got != "number/Good" {
			t.Errorf("good sample %d: kind %q", i, got)
		}
	}
	s := testSample(n, 1.0)
	ns := e.nodes.get(&s, len(e.stages))
	if ns.noValue || ns.tagTypeName(n) != "number" {
		t.Errorf("reference types: noValue %v, tag type %q; want the good samples' number", ns.noValue, ns.tagTypeName(n))
	}
	if st := ns.stageState(1); st != condTrue {
		t.Errorf("the status condition's result is not cached (state %d)", st)
	}
}

// TestPerNodeSizes guards the structures the engine keeps for every node:
// at 100,000 nodes, each size class more (16 bytes) of a nodeState or of
// a header variant costs 1.6 MB of live heap.
func TestPerNodeSizes(t *testing.T) {
	t.Parallel()
	if s := unsafe.Sizeof(nodeState{}); s > 64 {
		t.Errorf("nodeState takes %d bytes, want at most 64", s)
	}
	// A header block with its values as a slice, and a subject: 56 bytes
	// (the 64-byte size class).
	if s := unsafe.Sizeof(headerVariant{}); s > 56 {
		t.Errorf("headerVariant takes %d bytes, want at most 56", s)
	}
}
