package opcua

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{Min: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		w *= time.Millisecond
		d := b.Next()
		if d < w/2 || d > w {
			t.Fatalf("attempt %d: %v outside [%v, %v]", i, d, w/2, w)
		}
	}
	if b.Attempt() != len(want) {
		t.Fatalf("attempt %d", b.Attempt())
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Fatalf("after reset: %v", d)
	}
}

func TestWaitReturnsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if wait(ctx, time.Hour) {
		t.Fatal("wait reported elapsed on a cancelled context")
	}
	if !wait(context.Background(), time.Millisecond) {
		t.Fatal("wait did not elapse")
	}
}
