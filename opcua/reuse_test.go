package opcua

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

func TestResolvedSetMatches(t *testing.T) {
	set := &resolvedSet{namespaces: []string{"http://opcfoundation.org/UA/", "urn:a"}, build: "acme plc 1.0"}
	tests := []struct {
		name       string
		set        *resolvedSet
		namespaces []string
		build      string
		want       bool
	}{
		{name: "same", set: set, namespaces: []string{"http://opcfoundation.org/UA/", "urn:a"}, build: "acme plc 1.0", want: true},
		{name: "no set", set: nil, namespaces: []string{"http://opcfoundation.org/UA/", "urn:a"}, build: "acme plc 1.0"},
		{name: "namespace added", set: set, namespaces: []string{"http://opcfoundation.org/UA/", "urn:a", "urn:b"}, build: "acme plc 1.0"},
		{name: "namespaces reordered", set: set, namespaces: []string{"urn:a", "http://opcfoundation.org/UA/"}, build: "acme plc 1.0"},
		{name: "new software version", set: set, namespaces: []string{"http://opcfoundation.org/UA/", "urn:a"}, build: "acme plc 1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.set.matches(tt.namespaces, tt.build); got != tt.want {
				t.Fatalf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSimReconnectReusesNodes drops the simulator's connections: with
// ReuseNodes the next session takes the nodes of the last one (the same
// *tag.Node, no browse); without it, it browses and makes new ones. Values
// resume either way.
func TestSimReconnectReusesNodes(t *testing.T) {
	for _, reuse := range []bool{true, false} {
		t.Run(fmt.Sprintf("reuse=%v", reuse), func(t *testing.T) {
			s := simtest.Start(t, sim.Config{ExtraTags: 50})
			cfg := simConfig(t, s.Endpoint())
			cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Scale"}}
			cfg.ReuseNodes = &reuse
			src, col, stop := collectSource(t, cfg)
			// A new client's publish loop can stall at its start (see
			// stall.go); the session then ends only after its first-data
			// probe and the silence window (5 s + 30 s by default), so
			// each wait for values allows for one such recovery.
			const valuesWait = 60 * time.Second
			testutil.WaitUntil(t, valuesWait, "first values", func() bool { return col.count(0, "Tag00049") >= 2 })
			before, _ := col.last("Tag00049")
			if n := s.DropConnections(); n == 0 {
				t.Fatal("no connection dropped")
			}
			testutil.WaitUntil(t, 30*time.Second, "reconnected", func() bool { return src.Status().Reconnects >= 1 })
			mark := col.len()
			testutil.WaitUntil(t, valuesWait, "values after reconnect", func() bool { return col.count(mark, "Tag00049") >= 2 })
			after, _ := col.last("Tag00049")
			if same := before.Node == after.Node; same != reuse {
				t.Fatalf("node of Tag00049 after the reconnect is the one before: %v, want %v", same, reuse)
			}
			if st := src.Status(); st.Nodes != 50 || st.FailedItems != 0 {
				t.Fatalf("status %+v", st)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// seenSince records which nodes delivered since the last reset, without
// keeping the samples.
type seenSince struct {
	mu   sync.Mutex
	seen map[*tag.Node]bool
}

func (s *seenSince) emit(ctx context.Context, smp tag.Sample) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.seen == nil {
		s.seen = map[*tag.Node]bool{}
	}
	s.seen[smp.Node] = true
	s.mu.Unlock()
	return nil
}

func (s *seenSince) reset() {
	s.mu.Lock()
	s.seen = nil
	s.mu.Unlock()
}

func (s *seenSince) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// TestSimProcessRestartManyItems kills a simulator process serving 20,000
// changing variables (5,000 with the race detector) and starts a new one on
// the same port: every variable delivers again, from the reused node set,
// without restarting the source.
func TestSimProcessRestartManyItems(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 items in a re-executed test binary")
	}
	tags := 20000
	if raceEnabled {
		tags = 5000
	}
	sp := startSimProcess(t, fmt.Sprintf("%s=%d", simProcessTagsEnv, tags))
	cfg := simConfig(t, sp.Endpoint)
	cfg.Security = Security{"None", "None"}
	cfg.PublishingInterval = 200 * time.Millisecond
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Scale", MaxNodes: 1 << 20}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var seen seenSince
	stop := runSource(t, src, seen.emit)
	testutil.WaitUntil(t, 5*time.Minute, "a value of every item", func() bool { return seen.count() == tags })
	sp.kill()
	testutil.WaitUntil(t, 30*time.Second, "disconnected", func() bool { return src.Status().State == StateDisconnected })
	sp.start()
	seen.reset()
	testutil.WaitUntil(t, 3*time.Minute, "a value of every item after the restart", func() bool { return seen.count() == tags })
	if st := src.Status(); st.Nodes != tags || st.FailedItems != 0 || st.Reconnects < 1 {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
