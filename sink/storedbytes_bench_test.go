package sink

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/edgetag/edgetag/tag"
)

// BenchmarkStoredBytes publishes b.N messages of a typical shape (10,000
// tags of a line, a UNS subject with a virtual path, a two-decimal value)
// into the stream and reports what each one costs: stream-bytes/msg (what
// counts against max_bytes) and disk-bytes/msg (the store directory on
// disk, sealed blocks compressed), with the default header set (the value's
// quality) and with every meta key, without and with S2 compression.
//
//	go test -run '^$' -bench BenchmarkStoredBytes -benchtime 200000x ./sink/
func BenchmarkStoredBytes(b *testing.B) {
	for _, headers := range []string{"status", "all"} {
		for _, cmp := range []string{CompressionNone, CompressionS2} {
			b.Run(fmt.Sprintf("headers=%s/compression=%s", headers, cmp), func(b *testing.B) {
				c := embeddedConfig(b, true)
				c.JetStream.MaxBytes = -1
				c.JetStream.Compression = cmp
				s := startSink(b, c)
				ctx := context.Background()
				m := testMessage(0)
				all := m.Headers
				b.ResetTimer()
				for i := range b.N {
					tagNo := i % 10000
					m.Subject = fmt.Sprintf("umh.v1.enterprise.site.area.line._historian.temperature.temp_%05d", tagNo)
					m.Payload = fmt.Appendf(m.Payload[:0], `{"value":%.2f,"timestamp_ms":%d}`, 20+float64(i%1000)/37, m.TimestampMs+int64(i))
					m.Node = &tag.Node{Src: testNode.Src, ID: fmt.Sprintf("ns=3;s=Plant.Scale.Temp%05d", tagNo)}
					if headers == "status" {
						m.Headers = []tag.Header{{Key: "opcua_status_code", Value: "Good"}}
					} else {
						m.Headers = append(all[:0:0], all...)
						m.Headers[6].Value = m.Node.ID
					}
					if err := s.Publish(ctx, m); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.checkStream(ctx)
				st := s.Stats().Stream
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				var disk int64
				_ = filepath.WalkDir(c.Embedded.StoreDir, func(_ string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						if fi, err := d.Info(); err == nil {
							disk += fi.Size()
						}
					}
					return nil
				})
				b.ReportMetric(float64(st.Bytes)/float64(st.Messages), "stream-bytes/msg")
				b.ReportMetric(float64(disk)/float64(b.N), "disk-bytes/msg")
			})
		}
	}
}
