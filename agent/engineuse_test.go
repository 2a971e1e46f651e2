package agent

import (
	"sync/atomic"
	"testing"

	"github.com/edgetag/edgetag/engine"
)

func TestEngineUseSwapWaitsForBatchesInTheOldEngine(t *testing.T) {
	var cur atomic.Pointer[engine.Engine]
	first, second := new(engine.Engine), new(engine.Engine)
	cur.Store(first)
	var u engineUse

	inFirst := u.acquire(&cur)
	old, idle := u.swap(&cur, second)
	if old != first || inFirst != first {
		t.Fatalf("swap returned %p, batch was in %p; want both %p", old, inFirst, first)
	}
	isClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if isClosed(idle) {
		t.Fatal("old engine reported idle while a batch is in it")
	}
	if got := u.acquire(&cur); got != second {
		t.Fatalf("a batch after the swap went to %p, want the new engine %p", got, second)
	}
	u.release(second)
	if isClosed(idle) {
		t.Fatal("a batch leaving the new engine made the old one idle")
	}
	u.release(inFirst)
	if !isClosed(idle) {
		t.Fatal("old engine not idle after its last batch left")
	}
	if _, idle := u.swap(&cur, first); !isClosed(idle) {
		t.Fatal("an engine no batch is in must be idle at once")
	}
}
