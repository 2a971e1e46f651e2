package opcua

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

// simTypes are the variables of the simulator's Plant/Types folder.
var simTypes = []string{
	"Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double",
	"String", "DateTime", "Guid", "ByteString", "XmlElement", "NodeId", "ExpandedNodeId", "StatusCode",
	"QualifiedName", "LocalizedText", "Range", "DoubleArray", "Int32Array", "StringArray", "UInt64Array", "Matrix",
}

// simConfig is a source of the simulator with short timers for tests.
func simConfig(t testing.TB, endpoint string) Config {
	cfg := peerConfig(t, endpoint)
	cfg.Name = "sim"
	return cfg
}

func simTypeNodes() []NodeConfig {
	nodes := make([]NodeConfig, len(simTypes))
	for i, n := range simTypes {
		nodes[i] = NodeConfig{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types." + n}
	}
	return nodes
}

func TestSimConnect(t *testing.T) {
	s := simtest.Start(t, sim.Config{Security: true, CertDir: t.TempDir()})
	tests := []struct {
		name     string
		security Security
		auth     Auth
	}{
		{name: "none", security: Security{"None", "None"}},
		{name: "basic256sha256 sign and encrypt", security: Security{"Basic256Sha256", "SignAndEncrypt"}},
		{name: "aes128 sign", security: Security{"Aes128_Sha256_RsaOaep", "Sign"}},
		{name: "auto", security: Security{"auto", "auto"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := simConfig(t, s.Endpoint())
			cfg.Security, cfg.Auth, cfg.Trust.AcceptAny = tt.security, tt.auth, true
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Connect(ctx, cfg, testLogger(t))
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			defer closeClient(c, 5*time.Second)
			if err := (&session{src: &Source{cfg: cfg.withDefaults()}, c: c}).alive(ctx); err != nil {
				t.Fatalf("read after connect: %v", err)
			}
		})
	}
}

// TestSimAcquire subscribes to and polls every value type of the simulator
// plus one unknown node.
func TestSimAcquire(t *testing.T) {
	s := simtest.Start(t, sim.Config{})
	for _, mode := range []string{ModeSubscribe, ModePoll} {
		t.Run(mode, func(t *testing.T) {
			cfg := simConfig(t, s.Endpoint())
			cfg.Mode = mode
			cfg.Nodes = append(simTypeNodes(), NodeConfig{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Nope"})
			src, col, stop := collectSource(t, cfg)
			testutil.WaitUntil(t, 30*time.Second, "every type changing", func() bool {
				for _, n := range simTypes {
					if col.count(0, "Plant.Types."+n) < 2 {
						return false
					}
				}
				return true
			})
			if st := src.Status(); st.Nodes != len(simTypes) || st.FailedItems != 1 || st.State != StateDegraded {
				t.Fatalf("status %+v", st)
			}
			checks := map[string]func(any) bool{
				"UInt64":      func(v any) bool { u, ok := v.(uint64); return ok && u > 1<<53 },
				"DateTime":    func(v any) bool { tm, ok := v.(time.Time); return ok && !tm.IsZero() },
				"DoubleArray": func(v any) bool { a, ok := v.([]float64); return ok && len(a) == 3 },
				"Float":       func(v any) bool { _, ok := v.(float32); return ok },
				"Boolean":     func(v any) bool { _, ok := v.(bool); return ok },
			}
			for name, ok := range checks {
				smp, _ := col.last("Plant.Types." + name)
				if !ok(smp.Value) {
					t.Errorf("%s: unexpected value %T %v", name, smp.Value, smp.Value)
				}
				if smp.Node.DataType == "" {
					t.Errorf("%s: no data type on node", name)
				}
			}
			col.checkOneSource(t, cfg)
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// TestSimReconnect drops every connection of the simulator mid-stream:
// the source reconnects on its own, values resume and every value is read
// once after the gap.
func TestSimReconnect(t *testing.T) {
	s := simtest.Start(t, sim.Config{})
	cfg := simConfig(t, s.Endpoint())
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"}}
	src, col, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 30*time.Second, "first values", func() bool { return col.count(0, "Double") >= 3 })
	for i := 1; i <= 2; i++ {
		if n := s.DropConnections(); n == 0 {
			t.Fatal("no connection dropped")
		}
		testutil.WaitUntil(t, 30*time.Second, "reconnected", func() bool { return src.Status().Reconnects == uint64(i) })
		mark := col.len()
		testutil.WaitUntil(t, 30*time.Second, "values after reconnect", func() bool { return col.count(mark, "Double") >= 3 })
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The nodes of every session share the source's one SourceInfo.
	col.checkOneSource(t, cfg)
	// Every goroutine of the source and of its gopcua clients has ended.
	checkNoClientGoroutines(t)
}

// TestSimSubscriptionSilentFromStart has the simulator lose every
// subscription before it publishes (as gopcua's server did when it stored
// a new subscription under a running one's id): a subscription that never
// delivers is probed within its first-data wait, not after the silence
// window (three hours here), and the source reconnects until one delivers.
func TestSimSubscriptionSilentFromStart(t *testing.T) {
	s := simtest.Start(t, sim.Config{})
	cfg := simConfig(t, s.Endpoint())
	cfg.PublishingInterval = time.Second // first publish a second after creation
	cfg.KeepAlive = time.Hour            // silence window 3 × 1 s × 3600
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	deleted := make(chan struct{})
	go func() {
		defer close(deleted)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s.DeleteSubscriptions()
			}
		}
	}()
	var col collector
	stop := runSource(t, src, col.emit)
	testutil.WaitUntil(t, 60*time.Second, "reconnects after silent subscriptions", func() bool { return src.Status().Reconnects >= 2 })
	cancel()
	<-deleted
	mark := col.len()
	testutil.WaitUntil(t, 60*time.Second, "values once subscriptions survive", func() bool { return col.count(mark, "Double") >= 3 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestSimProcessRestart kills the simulator process mid-stream and starts a
// new one on the same port, with a new certificate (gopcua's own reconnect
// never recovers from that): values resume without restarting the source.
func TestSimProcessRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	sp := startSimProcess(t)
	cfg := simConfig(t, sp.Endpoint)
	cfg.Security = Security{"Basic256Sha256", "SignAndEncrypt"}
	cfg.Trust.AcceptAny = true
	cfg.RequestTimeout = 10 * time.Second
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"}}
	src, col, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 30*time.Second, "first values", func() bool { return col.count(0, "Double") >= 3 })
	sp.kill()
	testutil.WaitUntil(t, 30*time.Second, "disconnected", func() bool { return src.Status().State == StateDisconnected })
	sp.start()
	mark := col.len()
	testutil.WaitUntil(t, 60*time.Second, "values after restart", func() bool { return col.count(mark, "Double") >= 3 })
	if st := src.Status(); st.Reconnects != 1 || st.State != StateConnected {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestSimProcessFrozen freezes the simulator process (SIGSTOP: the process
// stops answering, its TCP connections stay open): the source reports the
// connection lost from the failed heartbeat, without waiting for the dead
// client to close, and delivers again once the process resumes.
func TestSimProcessFrozen(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	sp := startSimProcess(t)
	cfg := simConfig(t, sp.Endpoint)
	cfg.Security = Security{"None", "None"}
	cfg.RequestTimeout = 2 * time.Second
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"}}
	src, col, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 30*time.Second, "first values", func() bool { return col.count(0, "Double") >= 3 })
	sp.signal(syscall.SIGSTOP)
	resumed := false
	defer func() {
		if !resumed {
			sp.signal(syscall.SIGCONT)
		}
	}()
	testutil.WaitUntil(t, 60*time.Second, "disconnected", func() bool { return src.Status().State == StateDisconnected })
	if st := src.Status(); !strings.Contains(st.LastError, "heartbeat") {
		t.Errorf("last error %q, want the heartbeat's", st.LastError)
	}
	sp.signal(syscall.SIGCONT)
	resumed = true
	mark := col.len()
	testutil.WaitUntil(t, 60*time.Second, "values after the process resumed", func() bool { return col.count(mark, "Double") >= 3 })
	if st := src.Status(); st.State != StateConnected || st.Reconnects < 1 {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkNoClientGoroutines(t)
}

// BenchmarkSubscribeThroughput measures samples per second from a
// subscription of 10,000 simulator variables changing every 100 ms
// (100,000 changes/s offered), from the notification to the emitted
// tag.Sample. The simulator runs in the same process, so allocations and
// CPU include the server's.
func BenchmarkSubscribeThroughput(b *testing.B) {
	const tags = 10000
	s := simtest.Start(b, sim.Config{ExtraTags: tags, Rate: 100 * time.Millisecond})
	cfg := simConfig(b, s.Endpoint())
	cfg.PublishingInterval = 50 * time.Millisecond
	cfg.Limits.MaxMonitoredItemsPerCall = 1000
	for i := range tags {
		cfg.Nodes = append(cfg.Nodes, NodeConfig{ID: fmt.Sprintf("nsu=%s;s=Plant.Scale.Tag%05d", sim.NamespaceURI, i)})
	}
	src, err := NewSource(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	var target atomic.Int64
	target.Store(1 << 62)
	reached := make(chan struct{}, 1)
	emit := func(ctx context.Context, _ tag.Sample) error {
		if n.Add(1) == target.Load() {
			select {
			case reached <- struct{}{}:
			default:
			}
		}
		return ctx.Err()
	}
	stop := runSource(b, src, emit)
	// Wait for the subscription's initial values of every item.
	testutil.WaitUntil(b, 120*time.Second, "initial values", func() bool { return n.Load() >= tags })

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	base := n.Load()
	target.Store(base + int64(b.N))
	if n.Load() < base+int64(b.N) {
		select {
		case <-reached:
		case <-time.After(10 * time.Minute):
			b.Fatal("timed out")
		}
	}
	b.StopTimer()
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "samples/s")
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	if st := src.Status(); st.Nodes != tags || st.FailedItems != 0 {
		b.Fatalf("status %+v", st)
	}
}

// TestSimSeveralSubscriptions acquires more variables than one subscription
// may hold: they are spread over several subscriptions, a value of every
// variable arrives, and after the simulator drops every connection the
// source rebuilds all subscriptions and every variable delivers again.
func TestSimSeveralSubscriptions(t *testing.T) {
	const tags, perSub = 2500, 100
	s := simtest.Start(t, sim.Config{ExtraTags: tags, Rate: 200 * time.Millisecond})
	cfg := simConfig(t, s.Endpoint())
	cfg.Limits.MaxMonitoredItemsPerSubscription = perSub
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Scale"}}
	// Values after the reconnect must come from the subscriptions.
	noRead := false
	cfg.ReadAfterReconnect = &noRead
	src, col, stop := collectSource(t, cfg)
	everyTag := func(what string) {
		t.Helper()
		seen := make(map[string]bool, tags)
		testutil.WaitUntil(t, 60*time.Second, what, func() bool {
			col.mu.Lock()
			defer col.mu.Unlock()
			for _, smp := range col.samples {
				seen[smp.Node.ID] = true
			}
			col.samples = col.samples[:0]
			return len(seen) == tags
		})
	}
	everyTag("a value of every tag")
	if st := src.Status(); st.Nodes != tags || st.FailedItems != 0 || st.Subscriptions != tags/perSub {
		t.Fatalf("status %+v, want %d nodes on %d subscriptions", st, tags, tags/perSub)
	}
	if n := s.DropConnections(); n == 0 {
		t.Fatal("no connection dropped")
	}
	// More than one reconnect is possible: gopcua's server can hand the
	// new session a subscription id twice (see the sim package).
	testutil.WaitUntil(t, 30*time.Second, "reconnected", func() bool { return src.Status().Reconnects >= 1 })
	// The old session is closed before the new one connects.
	col.mu.Lock()
	col.samples = col.samples[:0]
	col.mu.Unlock()
	everyTag("a value of every tag after the reconnect")
	if st := src.Status(); st.Nodes != tags || st.FailedItems != 0 || st.Subscriptions != tags/perSub {
		t.Fatalf("status after reconnect %+v, want %d nodes on %d subscriptions", st, tags, tags/perSub)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkNoClientGoroutines(t)
}
