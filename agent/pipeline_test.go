package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/sink"
	"github.com/edgetag/edgetag/tag"
)

// defaultsOnly is an engine config whose subject is
// umh.v1.test.<location>._raw.<tag name>.
func defaultsOnly(location string) engine.Config {
	return engine.Config{Defaults: engine.Snippet{Code: fmt.Sprintf(`
msg.meta.location_path = %q;
msg.meta.data_contract = "_raw";
msg.meta.tag_name = msg.meta.opcua_tag_name;
return msg;`, location)}}
}

func mustEngine(t testing.TB, cfg engine.Config) *engine.Engine {
	t.Helper()
	e, err := engine.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	return e
}

// startSink starts a real sink on an embedded server at a random port.
func startSink(t testing.TB, js bool) *sink.Sink {
	t.Helper()
	return startSinkCompressed(t, js, "")
}

// startSinkCompressed is startSink with the stream's compression ("" =
// the default).
func startSinkCompressed(t testing.TB, js bool, compression string) *sink.Sink {
	t.Helper()
	dir := t.TempDir()
	cfg := sink.Config{
		Name:     "test",
		Embedded: sink.Embedded{Listen: "127.0.0.1:-1", StoreDir: dir},
		JetStream: sink.JetStream{
			Enabled:     js,
			Subjects:    []string{"umh.v1.>"},
			Compression: compression,
		},
	}
	s, err := sink.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatalf("sink: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("sink start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// subscribe collects every message on subject from url.
type collector struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func (c *collector) len() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.msgs) }

func (c *collector) snapshot() []*nats.Msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*nats.Msg(nil), c.msgs...)
}

func subscribe(t testing.TB, url, subject string) *collector {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	c := &collector{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	return c
}

func testNodes(n int) []*tag.Node {
	nodes := make([]*tag.Node, n)
	src := &tag.SourceInfo{Name: "src", Endpoint: "opc.tcp://test:4840"}
	for i := range nodes {
		name := fmt.Sprintf("tag_%d", i)
		nodes[i] = &tag.Node{Src: src, ID: "ns=2;s=" + name, BrowseName: name, Name: name, Path: name, DataType: "Int64"}
	}
	return nodes
}

type payload struct {
	Value       json.RawMessage `json:"value"`
	TimestampMs int64           `json:"timestamp_ms"`
}

func decodePayload(t testing.TB, b []byte) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	return p
}

// TestPipelineKeepsPerNodeOrder sends interleaved sequences for many nodes
// through four workers and a real NATS server: every node's values arrive in
// the order they were read, and none is missing.
func TestPipelineKeepsPerNodeOrder(t *testing.T) {
	snk := startSink(t, false)
	got := subscribe(t, snk.ClientURL(), "umh.v1.>")
	p := newPipeline(mustEngine(t, defaultsOnly("order")), snk, 4, 16, nil, nil, zerolog.Nop())
	ctx := t.Context()
	p.start(ctx)

	nodes := testNodes(32)
	const perNode = 200
	for seq := range perNode {
		for _, n := range nodes {
			if err := p.emit(ctx, tag.Sample{Node: n, Value: int64(seq), SourceTime: time.UnixMilli(1_700_000_000_000 + int64(seq))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.closeIntake()
	p.wait()
	want := len(nodes) * perNode
	natstest.WaitFor(t, 10*time.Second, func() error {
		if n := got.len(); n != want {
			return fmt.Errorf("got %d of %d messages", n, want)
		}
		return nil
	})
	next := map[string]int64{}
	for _, m := range got.snapshot() {
		v := decodePayload(t, m.Data)
		var seq int64
		if err := json.Unmarshal(v.Value, &seq); err != nil {
			t.Fatalf("value %s: %v", v.Value, err)
		}
		if seq != next[m.Subject] {
			t.Fatalf("%s: got value %d, want %d (per-node order broken)", m.Subject, seq, next[m.Subject])
		}
		next[m.Subject]++
	}
	if len(next) != len(nodes) {
		t.Fatalf("got %d subjects, want %d", len(next), len(nodes))
	}
}

// TestPipelineEngineSwapLosesNothing swaps the engine while samples flow: every
// sample is published exactly once, the first ones with the old subjects, the
// rest with the new, and no message after the swap uses the old subject.
func TestPipelineEngineSwapLosesNothing(t *testing.T) {
	snk := startSink(t, false)
	got := subscribe(t, snk.ClientURL(), "umh.v1.>")
	p := newPipeline(mustEngine(t, defaultsOnly("before")), snk, 2, 8, nil, nil, zerolog.Nop())
	ctx := t.Context()
	p.start(ctx)
	node := testNodes(1)[0]
	const total = 2000
	next := mustEngine(t, defaultsOnly("after"))
	for i := range total {
		if i == total/2 {
			// Wait until everything before the swap is out, so the split
			// point is exact.
			natstest.WaitFor(t, 10*time.Second, func() error {
				if n := got.len(); n != total/2 {
					return fmt.Errorf("%d of %d published before the swap", n, total/2)
				}
				return nil
			})
			p.engine.Store(next)
		}
		if err := p.emit(ctx, tag.Sample{Node: node, Value: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	p.closeIntake()
	p.wait()
	natstest.WaitFor(t, 10*time.Second, func() error {
		if n := got.len(); n != total {
			return fmt.Errorf("got %d of %d", n, total)
		}
		return nil
	})
	for i, m := range got.snapshot() {
		want := "umh.v1.before._raw.tag_0"
		if i >= total/2 {
			want = "umh.v1.after._raw.tag_0"
		}
		if m.Subject != want {
			t.Fatalf("message %d: subject %s, want %s", i, m.Subject, want)
		}
	}
}

// TestPipelineFailureReachesHandler checks that a failing message calls the
// failure handler with its sample while the others are published.
func TestPipelineFailureReachesHandler(t *testing.T) {
	snk := startSink(t, false)
	got := subscribe(t, snk.ClientURL(), "umh.v1.>")
	cfg := defaultsOnly("fail")
	cfg.AdvancedProcessing = engine.Snippet{Code: `if (msg.payload === 1) throw new Error("boom"); return msg;`}
	var mu sync.Mutex
	var failed []string
	onFail := func(_ context.Context, s *tag.Sample, f engine.Failure) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, fmt.Sprintf("%s %v %s", s.Node.ID, s.Value, f.Reason))
	}
	p := newPipeline(mustEngine(t, cfg), snk, 2, 8, onFail, nil, zerolog.Nop())
	p.start(t.Context())
	node := testNodes(1)[0]
	for i := range 3 {
		if err := p.emit(t.Context(), tag.Sample{Node: node, Value: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	p.closeIntake()
	p.wait()
	natstest.WaitFor(t, 10*time.Second, func() error {
		if n := got.len(); n != 2 {
			return fmt.Errorf("got %d of 2", n)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"ns=2;s=tag_0 1 exception"}; strings.Join(failed, "|") != strings.Join(want, "|") {
		t.Fatalf("failures %q, want %q", failed, want)
	}
}

func TestShardIsStableAndSpreads(t *testing.T) {
	nodes := testNodes(1000)
	counts := make([]int, 4)
	for _, n := range nodes {
		w := shard(n, 4)
		if again := shard(&tag.Node{Src: &tag.SourceInfo{Name: n.Source()}, ID: n.ID}, 4); again != w {
			t.Fatalf("%s: shard %d then %d", n.ID, w, again)
		}
		counts[w]++
	}
	for w, c := range counts {
		if c < 150 {
			t.Errorf("worker %d got %d of 1000 nodes: poor spread %v", w, c, counts)
		}
	}
}

// TestPipelineCountsWhatTheDeadlineCutOff stops the workers (the drain
// deadline) while samples are queued: every sample is accounted for, as
// lost at shutdown or as lost by the sink.
func TestPipelineCountsWhatTheDeadlineCutOff(t *testing.T) {
	pub := &blockedPublisher{}
	p := newPipeline(mustEngine(t, defaultsOnly("cut")), pub, 1, 16, nil, nil, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	node := testNodes(1)[0]
	for i := range 10 {
		if err := p.emit(ctx, tag.Sample{Node: node, Value: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cancel() // the deadline passes before any worker ran
	p.start(ctx)
	p.wait()
	if lost, sinkLost := p.lostAtShutdown.Load(), pub.lost.Load(); lost+sinkLost != 10 || p.published.Load() != 0 {
		t.Fatalf("lost at shutdown %d + lost by the sink %d (published %d), want 10", lost, sinkLost, p.published.Load())
	}
}

// blockedPublisher blocks until ctx ends, like a sink whose broker is gone,
// and counts the message as lost, as the sink does.
type blockedPublisher struct{ lost atomic.Uint64 }

func (b *blockedPublisher) Publish(ctx context.Context, _ *tag.Message) error {
	<-ctx.Done()
	b.lost.Add(1)
	return ctx.Err()
}

// stuckEngine fails the sample of value 1 by hanging its runtime for
// seconds in goja's backtracking regular expression engine, which never
// looks at the deadline; other samples are published.
func stuckEngine(t testing.TB) *engine.Engine {
	cfg := defaultsOnly("stuck")
	cfg.Defaults.Code = `if (msg.payload === 1) { /^(a+)+\1$/.test("a".repeat(27) + "b"); }` + cfg.Defaults.Code
	cfg.Timeout = 50 * time.Millisecond
	cfg.Runtimes = 1
	return mustEngine(t, cfg)
}

// countingPublisher counts what it is given.
type countingPublisher struct{ n atomic.Uint64 }

func (c *countingPublisher) Publish(context.Context, *tag.Message) error {
	c.n.Add(1)
	return nil
}

// TestPipelineReplacesAWorkerStuckInTheEngine: with one worker and one
// runtime, a sample stuck in a built-in would hold every node back; the
// watchdog gives up on the worker (its sample counted as abandoned), the
// engine replaces the runtime, and the samples behind it are published.
func TestPipelineReplacesAWorkerStuckInTheEngine(t *testing.T) {
	pub := &countingPublisher{}
	p := newPipeline(stuckEngine(t), pub, 1, 64, nil, nil, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.start(ctx)
	node := testNodes(1)[0]
	if err := p.emit(ctx, tag.Sample{Node: node, Value: int64(1)}); err != nil {
		t.Fatal(err)
	}
	natstest.WaitFor(t, 60*time.Second, func() error {
		if n := p.abandonedSamples.Load(); n != 1 {
			return fmt.Errorf("%d samples abandoned", n)
		}
		return nil
	})
	for i := range 20 {
		if err := p.emit(ctx, tag.Sample{Node: node, Value: int64(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	natstest.WaitFor(t, 60*time.Second, func() error {
		if n := pub.n.Load(); n != 20 {
			return fmt.Errorf("%d of 20 published while a runtime is stuck", n)
		}
		return nil
	})
	p.closeIntake()
	p.wait() // does not wait for the abandoned worker
	if n := p.engine.Load().Stuck(); n > 1 {
		t.Fatalf("%d stuck runtimes", n)
	}
}

// TestPipelineShutdownDeadlineWithAStuckWorker: the drain returns at its
// deadline although a worker is stuck in a built-in, and counts the sample
// it holds as lost at shutdown.
func TestPipelineShutdownDeadlineWithAStuckWorker(t *testing.T) {
	pub := &countingPublisher{}
	p := newPipeline(stuckEngine(t), pub, 1, 64, nil, nil, zerolog.Nop())
	work, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.start(work)
	node := testNodes(1)[0]
	for i := range 5 {
		if err := p.emit(work, tag.Sample{Node: node, Value: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	p.closeIntake()
	deadline, stop := context.WithTimeout(work, 200*time.Millisecond)
	defer stop()
	if p.waitUntil(deadline) {
		t.Fatal("waitUntil reported a complete drain with a worker stuck in the engine")
	}
	if lost := p.lostAtShutdown.Load(); lost+pub.n.Load() != 5 || lost == 0 {
		t.Fatalf("lost at shutdown %d, published %d: want all 5 accounted for, some lost", lost, pub.n.Load())
	}
}
