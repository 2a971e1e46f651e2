package command

import (
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// BenchmarkWriteThroughService measures one write request after another
// through NATS, the service, the source's session and the simulator, with
// and without verify (a read before and after the write).
func BenchmarkWriteThroughService(b *testing.B) {
	for _, verify := range []bool{false, true} {
		b.Run(fmt.Sprintf("verify=%v", verify), func(b *testing.B) {
			src, _ := runSimSourceB(b)
			nc, _ := startNATS(b)
			runService(b, nc, Config{Site: site, Sources: sourceMap{"plc": src}, Policy: policy()}, zerolog.Nop(), nil)
			i := 0
			start := time.Now()
			for b.Loop() {
				i++
				req := fmt.Sprintf(`{"source":"plc","node":"ns=1;s=Plant.Commands.Double","value":%d,"verify":%v}`, i%100, verify)
				m, err := nc.Request(Subject(site, "write"), []byte(req), 10*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				if len(m.Data) < 12 || string(m.Data[:10]) != `{"ok":true` {
					b.Fatalf("reply %s", m.Data)
				}
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "writes/s")
		})
	}
}
