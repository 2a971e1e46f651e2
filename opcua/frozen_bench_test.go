package opcua

import (
	"math/rand/v2"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
)

// BenchmarkFrozenServerDetection measures, with the default heartbeat (5 s)
// and request timeout (10 s), how long after the simulator process is
// frozen (SIGSTOP, TCP open) the source reports itself disconnected; the
// freeze comes at a random point of the heartbeat period. One op is one
// freeze, detection and recovery. Reported: the mean, the median and the
// longest detection time in seconds. Run with -benchtime=Nx.
func BenchmarkFrozenServerDetection(b *testing.B) {
	sp := startSimProcess(b)
	cfg := simConfig(b, sp.Endpoint)
	cfg.Security = Security{"None", "None"}
	cfg.Heartbeat, cfg.RequestTimeout = DefaultHeartbeat, DefaultRequestTimeout
	cfg.ReconnectMin, cfg.ReconnectMax = 0, 0
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Types.Double"}}
	src, err := NewSource(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	var col collector
	stop := runSource(b, src, col.emit)
	var took []float64
	b.ResetTimer()
	for range b.N {
		mark := col.len()
		testutil.WaitUntil(b, 2*time.Minute, "values", func() bool {
			return src.Status().State == StateConnected && col.count(mark, "Double") >= 3
		})
		// Freeze at a random phase of the heartbeat period.
		time.Sleep(rand.N(cfg.Heartbeat))
		sp.signal(syscall.SIGSTOP)
		frozen := time.Now()
		testutil.WaitUntil(b, 2*time.Minute, "disconnected", func() bool { return src.Status().State == StateDisconnected })
		took = append(took, time.Since(frozen).Seconds())
		sp.signal(syscall.SIGCONT)
	}
	b.StopTimer()
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	sort.Float64s(took)
	var sum float64
	for _, d := range took {
		sum += d
	}
	b.ReportMetric(sum/float64(len(took)), "s-mean")
	b.ReportMetric(took[len(took)/2], "s-median")
	b.ReportMetric(took[len(took)-1], "s-max")
	b.ReportMetric(0, "ns/op")
}
