// Package simtest starts the built-in simulator for tests of other
// packages: on a free loopback port, stopped when the test ends.
package simtest

import (
	"context"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/opcua/sim"
)

// Start runs a simulator with cfg (Listen defaults to 127.0.0.1:0, Rate to
// 50 ms) until the test ends; Run's return is awaited in t.Cleanup. It
// fails the test when the simulator cannot start.
func Start(t testing.TB, cfg sim.Config) *sim.Server {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Rate == 0 {
		cfg.Rate = 50 * time.Millisecond
	}
	s, err := sim.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatalf("simulator: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator run: %v", err)
		}
	})
	return s
}

// Connect opens a plain gopcua session to endpoint (security None,
// anonymous, no auto-reconnect), closed when the test ends.
func Connect(t testing.TB, endpoint string) *gopcua.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := gopcua.NewClient(endpoint,
		gopcua.SecurityMode(ua.MessageSecurityModeNone),
		gopcua.AuthAnonymous(),
		gopcua.AutoReconnect(false),
		gopcua.RequestTimeout(30*time.Second),
	)
	if err != nil {
		t.Fatalf("client for %s: %v", endpoint, err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("connect %s: %v", endpoint, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// WaitFor polls cond until it returns true or timeout passes, then fails
// the test with msg. It never sleeps longer than a few milliseconds at a
// time.
func WaitFor(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, msg)
		}
		<-tick.C
	}
}
