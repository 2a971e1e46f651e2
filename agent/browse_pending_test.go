package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// TestReadyShowsPendingBrowse: a folder the server will not let the source
// browse (no continuation point to spare) leaves the source degraded, with
// the node counted in /readyz and in edgetag_source_browse_pending_nodes;
// once the server allows it, the retry browses it and both clear.
func TestReadyShowsPendingBrowse(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	s := simtest.Start(t, sim.Config{ExtraTags: 3000, Rate: time.Second})
	s.RefuseBrowseContinuationPoints(true)
	cfg := simSite(t, historian("acme.demo"), false)
	cfg.Simulator = nil
	cfg.Sources[0].Endpoint = s.Endpoint()
	cfg.Sources[0].RetryFailedItems = time.Second
	a := newAgent(t, cfg)
	stop := runAgent(t, a)

	pending := func(want int, state string) func() error {
		return func() error {
			body, code, err := get("http://" + cfg.HTTPListen + "/readyz")
			if err != nil || code != http.StatusOK {
				return fmt.Errorf("readyz %d %s %v", code, body, err)
			}
			var r readiness
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				return fmt.Errorf("readyz %s: %w", body, err)
			}
			if len(r.Sources) != 1 || r.Sources[0].State != state || r.Sources[0].PendingBrowse != want || r.Sources[0].FailedItems != want {
				return fmt.Errorf("readyz %s: want %s with %d pending browse", body, state, want)
			}
			m, _, err := get("http://" + cfg.HTTPListen + "/metrics")
			if err != nil {
				return err
			}
			if line := fmt.Sprintf(`edgetag_source_browse_pending_nodes{site="test-site",source="sim"} %d`, want); !strings.Contains(m, line) {
				return fmt.Errorf("/metrics lacks %q", line)
			}
			return nil
		}
	}
	// Plant/Scale holds 3,000 variables: more than one response carries.
	natstest.WaitFor(t, 60*time.Second, pending(1, "degraded"))
	s.RefuseBrowseContinuationPoints(false)
	natstest.WaitFor(t, 60*time.Second, pending(0, "connected"))
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
