package sink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edgetag/edgetag/internal/natstest"
)

// TestCloseLeavesNoGoroutines runs a sink through its whole lifecycle and
// checks that Close stops everything it started. Not parallel: it counts the
// process's goroutines.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	tests := []struct {
		name string
		js   bool
	}{
		{name: "core", js: false},
		{name: "jetstream", js: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			s, err := New(embeddedConfig(t, tt.js), zerologNop())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				if err := s.Publish(ctx, testMessage(i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if s.Ready() {
				t.Error("Ready() = true after Close")
			}
			natstest.WaitFor(t, waitTimeout, func() error {
				if n := runtime.NumGoroutine(); n > before {
					return fmt.Errorf("%d goroutines after Close, %d before Start", n, before)
				}
				return nil
			})
			if err := s.Publish(ctx, testMessage(0)); err == nil {
				t.Error("Publish after Close succeeded")
			}
		})
	}
}

// disconnectedSink starts a core sink connected to a fresh server (whose
// store holds a stream capturing the UNS subjects), then stops the server
// and waits until the sink notices. It returns the server's options, to
// bring it back with natstest.Run.
func disconnectedSink(t *testing.T, bufSize int) (*Sink, *server.Options) {
	t.Helper()
	// A FreePort, so no other server takes the port while this one is down.
	srv := natstest.Start(t, func(o *server.Options) { o.Port = natstest.FreePort(t) })
	js, err := jetstream.New(connect(t, srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"umh.v1.>"}, Storage: jetstream.FileStorage}
	if _, err := js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	s := startSink(t, Config{Name: "test", URL: srv.ClientURL(), ReconnectBufSize: bufSize})
	natstest.WaitFor(t, waitTimeout, func() error {
		if !s.Ready() {
			return errors.New("sink not ready")
		}
		return nil
	})
	opts := natstest.Stop(srv)
	natstest.WaitFor(t, waitTimeout, func() error {
		if s.Stats().Connected {
			return errors.New("sink still connected")
		}
		return nil
	})
	return s, opts
}

// TestCoreBufferedAtClose checks that core messages still in the reconnect
// buffer when Close runs without a connection are counted as lost.
func TestCoreBufferedAtClose(t *testing.T) {
	t.Parallel()
	s, opts := disconnectedSink(t, 0)
	// Hold the port with a listener that never speaks NATS: a server of a
	// parallel test that happened to take it would let the sink reconnect
	// and flush its buffer.
	if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))); err == nil {
		t.Cleanup(func() { _ = ln.Close() })
	}
	ctx := context.Background()
	for i := range 3 {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if st := s.Stats(); st.BufferedBytes == 0 {
		t.Errorf("BufferedBytes = 0 with three messages published while disconnected")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if diff := cmp.Diff(map[string]uint64{LostBufferedAtClose: 3}, s.Stats().Lost); diff != "" {
		t.Errorf("Lost (-want +got):\n%s", diff)
	}
}

// TestCoreBlocksWhenReconnectBufferFull publishes core NATS while the server
// is down with a tiny reconnect buffer: Publish blocks instead of dropping,
// and once the server is back every message arrives. The server's stream
// captures the subjects, so the test can count what arrived.
func TestCoreBlocksWhenReconnectBufferFull(t *testing.T) {
	t.Parallel()
	s, opts := disconnectedSink(t, 4096)
	ctx := context.Background()
	const n = 100 // about 40 kB with headers: ten times the buffer
	done := make(chan error, 1)
	go func() {
		for i := range n {
			if err := s.Publish(ctx, testMessage(i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	// The buffer fills and the publisher blocks: it cannot finish while
	// the server is down, and it drops nothing.
	natstest.WaitFor(t, waitTimeout, func() error {
		if st := s.Stats(); st.BufferedBytes < 4096-1024 {
			return fmt.Errorf("buffered %d bytes", st.BufferedBytes)
		}
		return nil
	})
	select {
	case err := <-done:
		t.Fatalf("publisher finished (%v) with the server down and a 4 KiB buffer", err)
	default:
	}
	if st := s.Stats(); len(st.Lost) != 0 {
		t.Fatalf("lost %v while blocked", st.Lost)
	}

	srv := natstest.Run(t, opts)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("publisher: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("publisher still blocked after the server came back")
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	nc := connect(t, srv.ClientURL())
	waitStreamMsgs(t, nc, "", DefaultStream, n, waitTimeout)
	if got := streamSeqs(t, nc, "", DefaultStream); len(got) != n {
		t.Errorf("stream holds %d distinct messages, want %d", len(got), n)
	}
}

// TestStartFails checks that Start reports a problem of the embedded server
// at once, naming what is wrong.
func TestStartFails(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = busy.Close() })
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "port in use", cfg: Config{Embedded: Embedded{Listen: busy.Addr().String()}}, wantErr: busy.Addr().String()},
		{name: "unreadable tls ca", cfg: Config{URL: "nats://127.0.0.1:1", TLS: TLS{CA: filepath.Join(t.TempDir(), "missing.pem")}},
			wantErr: "missing.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg, zerologNop())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start = %v, want an error naming %q", err, tt.wantErr)
			}
		})
	}
}
