package command

import (
	"context"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

const site = "testsite"

func simNode(name string) string { return "nsu=" + sim.NamespaceURI + ";s=Plant.Commands." + name }

// sourceMap is the Sources of the tests: real sources by name.
type sourceMap map[string]*opcua.Source

func (m sourceMap) Source(name string) (Source, bool) {
	s, ok := m[name]
	if !ok {
		return nil, false
	}
	return s, true
}

func (m sourceMap) Statuses() []opcua.Status {
	var out []opcua.Status
	for _, s := range m {
		out = append(out, s.Status())
	}
	return out
}

// runSimSource runs a source named "plc" on a fresh simulator, subscribed
// to the given Plant/Commands variables, and waits until it is connected
// and has delivered a value of each. Its samples go to the returned
// channel's reader, which keeps the latest per node.
func runSimSource(t *testing.T, names ...string) (*opcua.Source, *latest) {
	t.Helper()
	return runSimSourceTB(t, names...)
}

// runSimSourceB is runSimSource for benchmarks, with Plant.Commands.Double.
func runSimSourceB(b *testing.B) (*opcua.Source, *latest) {
	b.Helper()
	return runSimSourceTB(b, "Double")
}

func runSimSourceTB(t testing.TB, names ...string) (*opcua.Source, *latest) {
	t.Helper()
	s := simtest.Start(t, sim.Config{Rate: time.Hour})
	cfg := opcua.Config{
		Name: "plc", Site: site, Endpoint: s.Endpoint(), Security: opcua.Security{Policy: "None", Mode: "None"},
		StateDir: t.TempDir(), PublishingInterval: 100 * time.Millisecond, SamplingInterval: 50 * time.Millisecond,
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: 500 * time.Millisecond, Heartbeat: 300 * time.Millisecond,
		RequestTimeout: 10 * time.Second, RetryFailedItems: time.Hour,
	}
	for _, n := range names {
		cfg.Nodes = append(cfg.Nodes, opcua.NodeConfig{ID: simNode(n)})
	}
	src, err := opcua.NewSource(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	l := &latest{values: map[string]tag.Sample{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, l.emit) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("source: %v", err)
		}
	})
	testutil.WaitUntil(t, 30*time.Second, "source connected with every value", func() bool {
		return src.Status().State == opcua.StateConnected && l.len() >= len(names)
	})
	return src, l
}

// latest keeps the latest sample of every node.
type latest struct {
	mu     sync.Mutex
	values map[string]tag.Sample // node id -> sample
}

func (l *latest) emit(ctx context.Context, s tag.Sample) error {
	l.mu.Lock()
	l.values[s.Node.ID] = s
	l.mu.Unlock()
	return ctx.Err()
}

func (l *latest) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.values)
}

func (l *latest) get(id string) (tag.Sample, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.values[id]
	return s, ok
}

// byID finds the sample of a node whose id ends in suffix.
func (l *latest) node(suffix string) (*tag.Node, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, s := range l.values {
		if len(id) >= len(suffix) && id[len(id)-len(suffix):] == suffix {
			return s.Node, true
		}
	}
	return nil, false
}

// startNATS runs an embedded nats-server and returns a connection to it.
func startNATS(t testing.TB) (*nats.Conn, string) {
	t.Helper()
	srv := natstest.Run(t, natstest.Options(t))
	nc := connect(t, srv.ClientURL())
	return nc, srv.ClientURL()
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// runService runs a service on nc until the test ends and waits until its
// endpoints answer.
func runService(t testing.TB, nc *nats.Conn, cfg Config, log zerolog.Logger, setup func(*Service)) *Service {
	t.Helper()
	svc, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(svc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, nc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service: %v", err)
		}
	})
	testutil.WaitUntil(t, 30*time.Second, "service answering", func() bool {
		m, err := nc.Request(Subject(cfg.Site, "status"), nil, time.Second)
		return err == nil && len(m.Data) > 0
	})
	return svc
}

// request sends a request and decodes the reply.
func request(t testing.TB, nc *nats.Conn, endpoint string, req any) Reply {
	t.Helper()
	var data []byte
	switch r := req.(type) {
	case string:
		data = []byte(r)
	default:
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		data = b
	}
	m, err := nc.Request(Subject(site, endpoint), data, 30*time.Second)
	if err != nil {
		t.Fatalf("request %s: %v", endpoint, err)
	}
	var rep Reply
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		t.Fatalf("reply %s: %v", m.Data, err)
	}
	return rep
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}
