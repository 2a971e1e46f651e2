package opcua

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// logLines is a log sink safe for concurrent writes and reads.
type logLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// matching returns the JSON log lines whose message is msg.
func (l *logLines) matching(t *testing.T, msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestFailedRootsAreCountedAndWarnedOnce subscribes to two roots that do
// not exist and one that does: "subscribed" reports the real number of
// monitored items (never negative), and each failed root is warned about
// once although it is retried many times.
func TestFailedRootsAreCountedAndWarnedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator")
	}
	s := simtest.Start(t, sim.Config{Rate: 50 * time.Millisecond})
	var logs logLines
	src, err := NewSource(Config{
		Name: "roots", Endpoint: s.Endpoint(), StateDir: t.TempDir(), Trust: Trust{AcceptAny: true},
		Nodes: []NodeConfig{
			{ID: "nsu=urn:edgetag:sim;s=NoSuchFolder"},
			{ID: "nsu=urn:edgetag:sim;s=Plant.Line1.Press.Pressure"},
			{ID: "nsu=urn:edgetag:sim;s=AlsoMissing"},
		},
		RetryFailedItems: 20 * time.Millisecond,
	}, zerolog.New(&logs).Level(zerolog.InfoLevel))
	if err != nil {
		t.Fatal(err)
	}
	var col collector
	stop := runSource(t, src, col.emit)
	testutil.WaitUntil(t, 30*time.Second, "five retries", func() bool { return len(logs.matching(t, "retried failed items")) >= 5 })
	// The status lists both roots, with the reason they failed.
	st := src.Status()
	if st.FailedItems != 2 || len(st.Failed) != 2 {
		t.Fatalf("status: %d failed items, listed %+v; want both roots", st.FailedItems, st.Failed)
	}
	for i, want := range []string{"nsu=urn:edgetag:sim;s=NoSuchFolder", "nsu=urn:edgetag:sim;s=AlsoMissing"} {
		if f := st.Failed[i]; f.Node != want || f.Reason == "" {
			t.Errorf("failed[%d] = %+v, want node %s with a reason", i, f, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	subscribed := logs.matching(t, "subscribed")
	if len(subscribed) == 0 {
		t.Fatal("no subscribed line")
	}
	if got := subscribed[0]["monitored"]; got != float64(1) {
		t.Errorf("subscribed: monitored = %v, want 1 (failed roots have no items): %v", got, subscribed[0])
	}
	warned := map[string]int{}
	for _, m := range logs.matching(t, "node cannot be read; retrying later") {
		warned[m["node"].(string)]++
	}
	if len(warned) != 2 || warned["nsu=urn:edgetag:sim;s=NoSuchFolder"] != 1 || warned["nsu=urn:edgetag:sim;s=AlsoMissing"] != 1 {
		t.Errorf("failed roots warned %v, want each once", warned)
	}
}
