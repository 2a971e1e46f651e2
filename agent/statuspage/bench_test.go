package statuspage

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// subjects returns n subjects shaped like a site's (about 60 bytes).
func subjects(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("umh.v1.acme.plant%d._historian.Line%03d.Press%04d.Temperature", i%3, i%100, i)
	}
	return out
}

// BenchmarkTableMemory fills a table with 100k subjects and reports the
// heap it holds per subject and in all.
func BenchmarkTableMemory(b *testing.B) {
	const n = 100_000
	subs := subjects(n)
	value := []byte("1234.5678")
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tb := NewTable(n)
		for i, s := range subs {
			tb.Update(s, value, int64(i))
		}
		tb.Changes(n) // as after the first send: no subject pending
		runtime.GC()
		runtime.ReadMemStats(&after)
		held := float64(after.HeapAlloc - before.HeapAlloc)
		b.ReportMetric(held/n, "B/subject")
		b.ReportMetric(held/(1<<20), "MiB/100k")
		runtime.KeepAlive(tb)
	}
}

// BenchmarkTableUpdate is the cost the pipeline pays per published
// message: the update of a kept subject with a new value, from as many
// goroutines as cores.
func BenchmarkTableUpdate(b *testing.B) {
	const n = 100_000
	subs := subjects(n)
	tb := NewTable(n)
	for i, s := range subs {
		tb.Update(s, []byte("0"), int64(i))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		i := 0
		for pb.Next() {
			buf = strconv.AppendInt(buf[:0], int64(i), 10)
			tb.Update(subs[i%n], buf, int64(i))
			i++
		}
	})
}

// BenchmarkTableSearch is one /api/values request over 100k subjects: a
// query matching 1000 of them, the first 500 returned sorted.
func BenchmarkTableSearch(b *testing.B) {
	const n = 100_000
	tb := NewTable(n)
	for i, s := range subjects(n) {
		tb.Update(s, []byte("0"), int64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, total := tb.Search("line042.", DefaultLimit); total != 1000 {
			b.Fatalf("matched %d, want 1000", total)
		}
	}
}
