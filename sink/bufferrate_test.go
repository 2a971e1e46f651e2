package sink

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestStoreRate(t *testing.T) {
	t.Parallel()
	var r storeRate
	t0 := time.Unix(1000, 0)
	r.observe(500, 100, 20000, t0)
	if got := r.bufferSeconds(1e6); got != 0 {
		t.Errorf("after one reading: %v s, want 0 (unknown)", got)
	}
	// 1,000 messages of 200 bytes in 2 s: 100,000 B/s.
	r.observe(1500, 100, 20000, t0.Add(2*time.Second))
	if got := r.bufferSeconds(1e6); got != 10 {
		t.Errorf("at 100,000 B/s: %v s, want 10", got)
	}
	if got := r.bufferSeconds(-1); got != 0 {
		t.Errorf("without a limit: %v s, want 0", got)
	}
	// Twice the rate for one half-life: halfway to it.
	r.observe(1500+30000, 100, 20000, t0.Add(2*time.Second+rateHalfLife))
	if got, want := r.bytesPerSec, 150000.0; math.Abs(got-want) > 1e-6 {
		t.Errorf("after a half-life at 200,000 B/s: %v B/s, want %v", got, want)
	}
	// A new stream (the sequence went back) starts over without a jump.
	before := r.bytesPerSec
	r.observe(10, 10, 2000, t0.Add(40*time.Second))
	if r.bytesPerSec != before {
		t.Errorf("a sequence that went back changed the rate: %v, was %v", r.bytesPerSec, before)
	}
}

// TestStreamBufferSeconds publishes into a stream between two readings:
// the buffer's duration is max_bytes over the bytes stored per second
// between them, whose times lie within the clock readings around them.
func TestStreamBufferSeconds(t *testing.T) {
	t.Parallel()
	c := embeddedConfig(t, true)
	c.JetStream.MaxBytes = 64 << 20
	c.JetStream.WatchInterval = time.Hour // the test takes the readings
	beforeFirst := time.Now()
	s := startSink(t, c) // Start takes the first reading
	afterFirst := time.Now()
	if st := s.Stats().Stream; st.BufferSeconds != 0 {
		t.Fatalf("after one reading: %v s, want 0 (unknown)", st.BufferSeconds)
	}
	ctx := context.Background()
	const n = 2000
	for i := range n {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	beforeSecond := time.Now()
	s.checkStream(ctx)
	afterSecond := time.Now()
	st := s.Stats().Stream
	perMsg := float64(st.Bytes) / float64(st.Messages)
	if st.LastSeq != n {
		t.Fatalf("last sequence %d, want %d", st.LastSeq, n)
	}
	lo := float64(c.JetStream.MaxBytes) * beforeSecond.Sub(afterFirst).Seconds() / (n * perMsg)
	hi := float64(c.JetStream.MaxBytes) * afterSecond.Sub(beforeFirst).Seconds() / (n * perMsg)
	if st.BufferSeconds < lo || st.BufferSeconds > hi {
		t.Errorf("buffer %v s, want between %v and %v (%d messages of %.0f B between the readings)", st.BufferSeconds, lo, hi, n, perMsg)
	}
}

// TestStoreRateLogDue: the duration at the observed rate is due for the log
// once, rateLogAfter after the first reading and only with a rate known.
func TestStoreRateLogDue(t *testing.T) {
	t.Parallel()
	var r storeRate
	t0 := time.Unix(1000, 0)
	r.observe(100, 100, 20000, t0)
	if r.logDue(t0.Add(rateLogAfter)) {
		t.Error("due without a rate")
	}
	r.observe(200, 200, 40000, t0.Add(time.Second))
	if r.logDue(t0.Add(rateLogAfter - time.Second)) {
		t.Error("due before rateLogAfter")
	}
	if !r.logDue(t0.Add(rateLogAfter)) {
		t.Error("not due at rateLogAfter")
	}
	if r.logDue(t0.Add(2 * rateLogAfter)) {
		t.Error("due a second time")
	}
}
