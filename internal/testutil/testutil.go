// Package testutil holds the small helpers tests of several packages share:
// waiting for a condition with a deadline, the process's CPU time, and a
// free TCP port.
package testutil

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// pollEvery is how often WaitFor and WaitUntil check their condition: a
// condition may scan a large collection under the lock its producer takes.
const pollEvery = 20 * time.Millisecond

// WaitFor calls cond until it returns nil and fails the test with cond's
// last error when timeout passes first. The timeout is a deadline for a
// slow machine, not a measurement: pick it generously.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// WaitUntil calls cond until it holds and fails the test, naming what it
// waited for, when timeout passes first.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, timeout, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("timed out waiting for %s", what)
	})
}

// CPUTime is the CPU time (user and system, all threads) the process has
// used so far. Benchmarks report CPU time per operation next to wall time:
// on a machine shared with other work it is the steadier of the two.
func CPUTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// FreePort returns a loopback TCP port that is free now, chosen at random
// below the kernel's usual ephemeral range (32768 and up), so that servers
// started on port 0 and outgoing connections, which take their ports from
// that range, do not grab it before the caller listens on it. Use it for a
// server that must come back on the same port, or an address where a server
// appears later.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		if err := l.Close(); err != nil {
			t.Fatalf("testutil: close probe listener: %v", err)
		}
		return port
	}
	t.Fatal("testutil: no free port found in 100 tries")
	return 0
}
