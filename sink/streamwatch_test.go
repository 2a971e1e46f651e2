package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/natstest"
)

func TestDiscardTracker(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		pos         streamPosition
		sent, acked uint64
		gone        string
		want        discardRange // zero: none
	}
	pos := func(first, last uint64) streamPosition {
		return streamPosition{first: first, last: last, firstTime: t0}
	}
	cases := []struct {
		name   string
		maxAge time.Duration
		now    time.Time
		steps  []step
	}{
		{"new stream fills, then the limit removes the oldest", 0, t0, []step{
			{pos: pos(0, 0)},
			{pos: pos(1, 100)},
			{pos: pos(41, 150), want: discardRange{DiscardLimit, 1, 40}},
			{pos: pos(41, 160)},
			{pos: pos(50, 170), want: discardRange{DiscardLimit, 41, 49}},
		}},
		{"a consumer got part of what was removed", 0, t0, []step{
			{pos: pos(1, 100), sent: 10},
			{pos: pos(31, 130), sent: 20, want: discardRange{DiscardLimit, 21, 30}},
			{pos: pos(61, 160), sent: 80},
			{pos: pos(101, 200), sent: 80, want: discardRange{DiscardLimit, 81, 100}},
		}},
		{"a consumer that went away still counts as having been delivered", 0, t0, []step{
			{pos: pos(1, 100), sent: 90},
			{pos: pos(51, 150), sent: 0},
		}},
		{"past max_age the reason is age", time.Minute, t0.Add(2 * time.Minute), []step{
			{pos: pos(1, 10)},
			{pos: pos(5, 10), want: discardRange{DiscardAge, 1, 4}},
		}},
		{"replaced stream: all the old one held unsent, up to the highest ack", 0, t0, []step{
			{pos: pos(1, 100), sent: 60},
			{pos: pos(1, 5), acked: 120, gone: DiscardStreamDeleted, want: discardRange{DiscardStreamDeleted, 61, 120}},
			{pos: pos(1, 8)},
		}},
		{"store recovered short of its acks: the unwritten tail", 0, t0, []step{
			{pos: pos(1, 100), sent: 20},
			{pos: pos(1, 90), acked: 110, gone: DiscardStoreError, want: discardRange{DiscardStoreError, 91, 110}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d discardTracker
			for i, s := range c.steps {
				gone := s.gone
				if gone == "" {
					gone = DiscardStreamDeleted
				}
				got, ok := d.observe(s.pos, s.sent, s.acked, c.maxAge, c.now, gone)
				if want := s.want; ok != (want != discardRange{}) || ok && got != want {
					t.Errorf("step %d: got %+v (%v), want %+v", i, got, ok, want)
				}
			}
		})
	}
}

func TestAckSeq(t *testing.T) {
	for in, want := range map[string]uint64{
		`{"stream":"EDGETAG","seq":123}`:                   123,
		`{"stream":"EDGETAG","seq":7,"duplicate":true}`:    7,
		`{"stream":"EDGETAG","domain":"site","seq":99000}`: 99000,
		`{"stream":"EDGETAG"}`:                             0,
	} {
		if got := ackSeq([]byte(in)); got != want {
			t.Errorf("ackSeq(%s) = %d, want %d", in, got, want)
		}
	}
}

// waitStreamStats waits until the sink's stream stats satisfy cond.
func waitStreamStats(t *testing.T, s *Sink, cond func(StreamStats) error) StreamStats {
	t.Helper()
	var st StreamStats
	natstest.WaitFor(t, waitTimeout, func() error {
		st = s.Stats().Stream
		return cond(st)
	})
	return st
}

// TestStreamDiscardsCountedExactly fills a small stream far beyond its
// max_bytes with no consumer: every message the stream dropped is counted,
// published - stored = discarded, and the gauges show the stream.
func TestStreamDiscardsCountedExactly(t *testing.T) {
	t.Parallel()
	c := embeddedConfig(t, true)
	c.JetStream.MaxBytes = 64 << 10
	c.JetStream.WatchInterval = 20 * time.Millisecond
	s := startSink(t, c)
	const n = 3000
	ctx := context.Background()
	for i := range n {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := waitStreamStats(t, s, func(st StreamStats) error {
		if st.LastSeq != n {
			return fmt.Errorf("watch saw last sequence %d, want %d", st.LastSeq, n)
		}
		return nil
	})
	if st.Messages == 0 || st.Messages >= n {
		t.Fatalf("stream holds %d of %d messages; the test needs it to discard", st.Messages, n)
	}
	if got, want := st.Discarded[DiscardLimit], uint64(n)-st.Messages; got != want {
		t.Errorf("discarded at the limit = %d, want published %d - stored %d = %d (all: %v)", got, n, st.Messages, want, st.Discarded)
	}
	if st.FirstSeq != st.LastSeq-st.Messages+1 || st.Bytes == 0 || st.Bytes > uint64(c.JetStream.MaxBytes) || st.MaxBytes != c.JetStream.MaxBytes {
		t.Errorf("stream gauges: %+v", st)
	}
	if st.Unsent != st.Messages || st.Consumers != 0 {
		t.Errorf("with no consumer every stored message is unsent: unsent %d, messages %d, consumers %d", st.Unsent, st.Messages, st.Consumers)
	}
	if !s.Ready() {
		t.Errorf("not ready: %v", s.NotReady())
	}
}

// TestStreamDeletedIsRecreated deletes the stream behind the sink's back
// while messages flow: the sink reports not ready, creates the stream again
// with its configured limits, and every acked message is either in the new
// stream or counted as taken with the deleted one.
func TestStreamDeletedIsRecreated(t *testing.T) {
	t.Parallel()
	c := embeddedConfig(t, true)
	c.JetStream.MaxBytes = 32 << 20
	c.JetStream.WatchInterval = time.Hour // only a failed publish wakes the watch
	s := startSink(t, c)
	nc := connect(t, s.ClientURL())
	js, err := newJS(nc, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const first, n = 500, 1500
	for i := range first {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// Hold the watch at its first write of the stats, so the not-ready
	// state it reaches first stays visible.
	s.watch.mu.Lock()
	locked := true
	defer func() {
		if locked {
			s.watch.mu.Unlock()
		}
	}()
	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatalf("delete stream: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		for i := first; i < n; i++ {
			if err := s.Publish(ctx, testMessage(i)); err != nil {
				done <- fmt.Errorf("publish %d: %w", i, err)
				return
			}
		}
		done <- nil
	}()
	natstest.WaitFor(t, waitTimeout, func() error {
		if s.Ready() {
			return fmt.Errorf("still ready after the stream was deleted")
		}
		return nil
	})
	t.Logf("not ready: %v", s.NotReady())
	s.watch.mu.Unlock()
	locked = false

	if err := <-done; err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	natstest.WaitFor(t, waitTimeout, func() error {
		if !s.Ready() {
			return fmt.Errorf("not ready: %v", s.NotReady())
		}
		return nil
	})
	st := s.Stats()
	if st.Stream.Recreated != 1 {
		t.Errorf("recreated %d times, want 1", st.Stream.Recreated)
	}
	if len(st.Lost) != 0 {
		t.Errorf("sink lost %v", st.Lost)
	}
	info, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatalf("stream after recreation: %v", err)
	}
	if got := info.CachedInfo().Config.MaxBytes; got != c.JetStream.MaxBytes {
		t.Errorf("recreated stream max_bytes %d, want the configured %d", got, c.JetStream.MaxBytes)
	}
	stored := info.CachedInfo().State.Msgs
	gone := st.Stream.Discarded[DiscardStreamDeleted]
	if stored+gone != n {
		t.Errorf("new stream holds %d, counted as deleted with the old one %d: %d, want every one of the %d acked", stored, gone, stored+gone, n)
	}
	if gone < first {
		t.Errorf("counted %d as deleted, but the old stream held at least %d", gone, first)
	}
}

// TestNoDiscardsWhileFlowing reads the stream as often as it can while
// messages flow into a stream far from its limits: acks that arrive during
// a reading must not make the stream look as if it had lost messages.
func TestNoDiscardsWhileFlowing(t *testing.T) {
	t.Parallel()
	c := embeddedConfig(t, true)
	c.JetStream.WatchInterval = time.Millisecond
	s := startSink(t, c)
	ctx := context.Background()
	const n = 20000
	for i := range n {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := waitStreamStats(t, s, func(st StreamStats) error {
		if st.LastSeq != n {
			return fmt.Errorf("watch saw last sequence %d, want %d", st.LastSeq, n)
		}
		return nil
	})
	for reason, v := range st.Discarded {
		if v != 0 {
			t.Errorf("%d messages counted as discarded (%s) from a stream that discarded none", v, reason)
		}
	}
	if st.Recreated != 0 {
		t.Errorf("stream recreated %d times", st.Recreated)
	}
}

// TestExternalStreamDeletedIsRecreated is TestStreamDeletedIsRecreated on
// an external server, which the watch reads through the JetStream API.
func TestExternalStreamDeletedIsRecreated(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	c := Config{Name: "test", URL: srv.ClientURL(), JetStream: JetStream{Enabled: true, WatchInterval: 20 * time.Millisecond}}
	s := startSink(t, c)
	ctx := context.Background()
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if err := s.Publish(ctx, testMessage(i)); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
		fctx, cancel := context.WithTimeout(ctx, waitTimeout)
		defer cancel()
		if err := s.Flush(fctx); err != nil {
			t.Fatal(err)
		}
	}
	const n = 100
	publish(0, n)
	waitStreamStats(t, s, func(st StreamStats) error {
		if st.LastSeq != n {
			return fmt.Errorf("watch saw last sequence %d, want %d", st.LastSeq, n)
		}
		return nil
	})
	nc := connect(t, srv.ClientURL())
	js, err := newJS(nc, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatalf("delete stream: %v", err)
	}
	waitStreamStats(t, s, func(st StreamStats) error {
		if st.Recreated != 1 {
			return fmt.Errorf("recreated %d times, want 1", st.Recreated)
		}
		return nil
	})
	publish(n, 2*n)
	waitStreamMsgs(t, nc, "", DefaultStream, n, waitTimeout)
	st := waitStreamStats(t, s, func(st StreamStats) error {
		if st.LastSeq != n || !s.Ready() {
			return fmt.Errorf("watch saw last sequence %d (want %d), ready %v", st.LastSeq, n, s.Ready())
		}
		return nil
	})
	if got := st.Discarded[DiscardStreamDeleted]; got != n {
		t.Errorf("counted %d as deleted with the stream, want %d", got, n)
	}
}
