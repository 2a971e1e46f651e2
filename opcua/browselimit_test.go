package opcua

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

// TestBrowseWithinContinuationPointLimit browses 20 folders of 1,000
// variables from a server that allows 5 continuation points per session:
// every variable is found, whether the limit is announced (the requests
// fit it from the start) or only enforced (refused nodes are browsed
// again within the limit learned), and no point is left behind.
func TestBrowseWithinContinuationPointLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("large browse")
	}
	t.Parallel()
	const folders, perFolder, limit = 20, 1000, 5
	for _, hidden := range []bool{false, true} {
		t.Run(fmt.Sprintf("hidden=%v", hidden), func(t *testing.T) {
			t.Parallel()
			s := simtest.Start(t, sim.Config{ExtraTags: folders * perFolder, Rate: time.Hour,
				BrowseContinuationPoints: limit, HideBrowseLimit: hidden})
			// A Browse that times out leaves its continuation points
			// allocated until the session ends: give the slow runs (race
			// detector, loaded machine) time.
			cfg := simConfig(t, s.Endpoint())
			cfg.RequestTimeout = 2 * time.Minute
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			c, err := Connect(ctx, cfg, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer closeClient(c, 5*time.Second)
			announced := limit
			if hidden {
				announced = 0
			}
			budget := newContinuationBudget(announced)
			b, err := newBrowser(c, plantID("Plant.Scale"), BrowseOptions{}, budget, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			vars, err := b.run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := make(map[string]bool, len(vars))
			for _, v := range vars {
				seen[FormatNodeID(v.ID)] = true
			}
			for i := range folders * perFolder {
				if id := fmt.Sprintf("ns=1;s=Plant.Scale.Tag%05d", i); !seen[id] {
					t.Fatalf("%s missing: %d of %d variables browsed, %d nodes pending", id, len(seen), folders*perFolder, len(b.pending))
				}
			}
			if len(vars) != folders*perFolder || len(b.pending) != 0 {
				t.Fatalf("%d variables, %d pending; want %d, 0", len(vars), len(b.pending), folders*perFolder)
			}
			refused := s.BrowseRefused()
			if !hidden && refused != 0 {
				t.Errorf("announced limit: server refused %d nodes, want 0", refused)
			}
			if hidden && refused == 0 {
				t.Errorf("hidden limit: server refused nothing; the test does not exercise the limit")
			}
			if got := budget.Limit(); got < 1 || got > limit {
				t.Errorf("budget limit %d, want 1..%d", got, limit)
			}
			if held := s.BrowseContinuationPointsHeld(); held != 0 {
				t.Errorf("server still holds %d continuation points", held)
			}
			if budget.hold(0) != 0 {
				t.Errorf("budget counts %d points held", budget.hold(0))
			}
		})
	}
}

// TestContinuationBudgetShape checks the request shapes: within the
// limit, never below one node and one request.
func TestContinuationBudgetShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		limit, per, conc    int
		wantPer, wantConc   int
		refusedAt           int
		wantAfterRefusalPer int
	}{
		{name: "unknown", limit: 0, per: 500, conc: 4, wantPer: 500, wantConc: 4, refusedAt: 5, wantAfterRefusalPer: 1},
		{name: "five", limit: 5, per: 500, conc: 4, wantPer: 1, wantConc: 4, refusedAt: 9, wantAfterRefusalPer: 1},
		{name: "hundred", limit: 100, per: 500, conc: 4, wantPer: 25, wantConc: 4, refusedAt: 40, wantAfterRefusalPer: 10},
		{name: "one", limit: 1, per: 500, conc: 4, wantPer: 1, wantConc: 1, refusedAt: 0, wantAfterRefusalPer: 1},
		{name: "small batches win", limit: 1000, per: 10, conc: 4, wantPer: 10, wantConc: 4, refusedAt: 2000, wantAfterRefusalPer: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newContinuationBudget(tt.limit)
			per, conc := b.shape(tt.per, tt.conc)
			if per != tt.wantPer || conc != tt.wantConc {
				t.Errorf("shape = %d×%d, want %d×%d", per, conc, tt.wantPer, tt.wantConc)
			}
			b.refused(tt.refusedAt)
			if per, conc = b.shape(tt.per, tt.conc); per != tt.wantAfterRefusalPer || per*conc > max(b.Limit(), 1) && b.Limit() > 0 {
				t.Errorf("after a refusal at %d: shape %d×%d, limit %d; want %d per request within the limit", tt.refusedAt, per, conc, b.Limit(), tt.wantAfterRefusalPer)
			}
			for b.shrink() {
			}
			if per, conc = b.shape(tt.per, tt.conc); per != 1 || conc != 1 {
				t.Errorf("fully shrunk: %d×%d, want 1×1", per, conc)
			}
		})
	}
}

// nodeSet is an Emit that records which nodes delivered a value.
type nodeSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (n *nodeSet) emit(ctx context.Context, s tag.Sample) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	n.seen[s.Node.ID] = true
	n.mu.Unlock()
	return nil
}

// count returns how many nodes whose id contains part delivered a value.
func (n *nodeSet) count(part string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for id := range n.seen {
		if strings.Contains(id, part) {
			c++
		}
	}
	return c
}

// TestSourceSubscribesEveryVariableBehindContinuationPointLimit runs a
// source with the default browse and batch settings against a server with
// 20 folders of 1,000 variables that allows 5 continuation points per
// session, announced or not: every variable is subscribed and delivers
// values, and the source is connected, not degraded.
func TestSourceSubscribesEveryVariableBehindContinuationPointLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("large browse")
	}
	const folders, perFolder, limit = 20, 1000, 5
	for _, hidden := range []bool{false, true} {
		t.Run(fmt.Sprintf("hidden=%v", hidden), func(t *testing.T) {
			s := simtest.Start(t, sim.Config{ExtraTags: folders * perFolder, Rate: time.Second,
				BrowseContinuationPoints: limit, HideBrowseLimit: hidden})
			cfg := simConfig(t, s.Endpoint())
			cfg.PublishingInterval = time.Second
			// A Browse that times out leaves its continuation points
			// allocated on the server until the session ends; under the
			// race detector on a loaded machine 10 s is not enough.
			cfg.RequestTimeout = time.Minute
			cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Scale"}}
			src, err := NewSource(cfg, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			var got nodeSet
			stop := runSource(t, src, got.emit)
			testutil.WaitUntil(t, 5*time.Minute, "a value of every variable", func() bool {
				return got.count(";s=Plant.Scale.Tag") == folders*perFolder
			})
			if st := src.Status(); st.State != StateConnected || st.Nodes != folders*perFolder || st.FailedItems != 0 || st.PendingBrowse != 0 {
				t.Errorf("status %+v, want connected with %d nodes, none failed or pending", st, folders*perFolder)
			}
			if refused := s.BrowseRefused(); hidden == (refused == 0) {
				t.Errorf("server refused %d nodes; want some only when the limit is hidden", refused)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// TestSourceRetriesPendingBrowse: while the server refuses every
// continuation point, the folders that need one cannot be browsed; the
// source subscribes what it found, is degraded with the folders counted
// as pending browse, and browses them again on RetryFailedItems (still
// refused, with no point held: in a new session) once the server allows
// points again, until every variable is subscribed.
func TestSourceRetriesPendingBrowse(t *testing.T) {
	if testing.Short() {
		t.Skip("large browse")
	}
	const folders, perFolder = 6, 1000
	s := simtest.Start(t, sim.Config{ExtraTags: folders * perFolder, Rate: time.Second})
	s.RefuseBrowseContinuationPoints(true)
	cfg := simConfig(t, s.Endpoint())
	cfg.PublishingInterval = time.Second
	cfg.RetryFailedItems = time.Second
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant"}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var got nodeSet
	stop := runSource(t, src, got.emit)
	testutil.WaitUntil(t, 3*time.Minute, "degraded with the folders pending browse", func() bool {
		st := src.Status()
		return st.State == StateDegraded && st.PendingBrowse == folders && st.FailedItems == folders
	})
	testutil.WaitUntil(t, 3*time.Minute, "values of the machines", func() bool { return got.count(";s=Plant.Line") == simMachines*simMachineVars })
	if n := got.count(";s=Plant.Scale.Tag"); n != 0 {
		t.Fatalf("%d scale tags delivered while their folders could not be browsed", n)
	}
	// Refused again with no point held: the points may be held by answers
	// that were lost, so the source starts a new session.
	testutil.WaitUntil(t, 3*time.Minute, "a new session", func() bool { return src.Status().Reconnects >= 1 })
	s.RefuseBrowseContinuationPoints(false)
	testutil.WaitUntil(t, 5*time.Minute, "a value of every scale variable", func() bool {
		return got.count(";s=Plant.Scale.Tag") == folders*perFolder
	})
	testutil.WaitUntil(t, 3*time.Minute, "connected", func() bool {
		st := src.Status()
		return st.State == StateConnected && st.PendingBrowse == 0 && st.FailedItems == 0
	})
	if st := src.Status(); st.Nodes != simMachines*simMachineVars+simTypeVars+simCommandVars+folders*perFolder {
		t.Errorf("status %+v: want %d nodes", st, simMachines*simMachineVars+simTypeVars+simCommandVars+folders*perFolder)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestSourceCarriesLearnedContinuationPoints: a server enforces 5
// continuation points per session without announcing them; the first
// session learns the limit from its refusals, and the next session (which
// browses again: reuse_nodes off) starts from it, so the server refuses
// nothing more.
func TestSourceCarriesLearnedContinuationPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("large browse")
	}
	const folders, perFolder = 6, 1000
	s := simtest.Start(t, sim.Config{ExtraTags: folders * perFolder, Rate: time.Hour, BrowseContinuationPoints: 5, HideBrowseLimit: true})
	cfg := simConfig(t, s.Endpoint())
	cfg.PublishingInterval = time.Second
	cfg.RequestTimeout = time.Minute
	reuse := false
	cfg.ReuseNodes = &reuse
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Scale"}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := runSource(t, src, func(context.Context, tag.Sample) error { return nil })
	subscribed := func() bool {
		st := src.Status()
		return st.State == StateConnected && st.Nodes == folders*perFolder && st.PendingBrowse == 0
	}
	testutil.WaitUntil(t, 3*time.Minute, "every variable subscribed", subscribed)
	refused := s.BrowseRefused()
	if refused == 0 {
		t.Fatal("the first browse met no refusal: nothing to learn")
	}
	first := src.Status().BrowseTime
	s.DropConnections()
	testutil.WaitUntil(t, 3*time.Minute, "every variable subscribed in a new session", func() bool {
		return src.Status().Reconnects >= 1 && src.Status().BrowseTime != first && subscribed()
	})
	if got := s.BrowseRefused(); got != refused {
		t.Errorf("the second session's browse was refused %d more nodes, want 0", got-refused)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// BenchmarkBrowseContinuationPoints browses 20 folders of 1,000 variables
// with the default options: without a limit, behind 5 continuation points
// announced, and behind 5 enforced but not announced (learned from the
// first refusals). One op is one whole browse, data types included.
func BenchmarkBrowseContinuationPoints(b *testing.B) {
	for _, bc := range []struct {
		name           string
		limit          int
		hidden         bool
		announcedLimit int
	}{
		{name: "no-limit"},
		{name: "announced-5", limit: 5, announcedLimit: 5},
		{name: "hidden-5", limit: 5, hidden: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := simtest.Start(b, sim.Config{ExtraTags: 20000, Rate: time.Hour, BrowseContinuationPoints: bc.limit, HideBrowseLimit: bc.hidden})
			c := simtest.Connect(b, s.Endpoint())
			b.ResetTimer()
			for range b.N {
				br, err := newBrowser(c, plantID("Plant.Scale"), BrowseOptions{PerRequest: profiles["default"].Browse},
					newContinuationBudget(bc.announcedLimit), zerolog.Nop())
				if err != nil {
					b.Fatal(err)
				}
				vars, err := br.run(context.Background())
				if err != nil || len(vars) != 20000 {
					b.Fatalf("%d variables, %v", len(vars), err)
				}
			}
		})
	}
}
