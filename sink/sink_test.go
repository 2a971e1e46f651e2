package sink

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/tag"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // substrings; nil = valid
	}{
		{name: "embedded core defaults", cfg: Config{}},
		{name: "embedded jetstream", cfg: Config{JetStream: JetStream{Enabled: true}, Embedded: Embedded{StoreDir: "state"}}},
		{name: "external with token", cfg: Config{URL: "nats://a:4222", Auth: Auth{Token: "t"}}},
		{name: "jetstream without store dir", cfg: Config{JetStream: JetStream{Enabled: true}},
			wantErr: []string{"store_dir: required"}},
		{name: "two auth methods and a half client cert", cfg: Config{URL: "nats://a:4222",
			Auth: Auth{Token: "t", User: "u"}, TLS: TLS{Cert: "c.pem"}},
			wantErr: []string{"at most one", "cert and key"}},
		{name: "bad listen", cfg: Config{Embedded: Embedded{Listen: "localhost"}},
			wantErr: []string{"embedded.listen"}},
		{name: "leafnode nkey", cfg: Config{Embedded: Embedded{Leafnode: Leafnode{URL: "nats-leaf://hub:7422", Auth: Auth{NKeySeedFile: "x.nk"}}}},
			wantErr: []string{"nkey seed files are not supported"}},
		{name: "leafnode with jetstream needs a domain", cfg: Config{JetStream: JetStream{Enabled: true},
			Embedded: Embedded{StoreDir: "s", Leafnode: Leafnode{URL: "nats-leaf://hub:7422"}}},
			wantErr: []string{"embedded.domain: required"}},
		{name: "negative limits", cfg: Config{URL: "nats://a", JetStream: JetStream{MaxAge: -time.Second, MaxAckPending: -1}},
			wantErr: []string{"max_age", "max_ack_pending"}},
		{name: "dupe window longer than max age", cfg: Config{URL: "nats://a", JetStream: JetStream{MaxAge: time.Second}},
			wantErr: []string{"duplicate_window"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, zerolog.Nop())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("New: unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New: no error, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMsgID(t *testing.T) {
	t.Parallel()
	base := testMessage(1)
	other := *testNode
	other.ID = "ns=2;s=Line1.Pressure"
	tests := []struct {
		name   string
		change func(m *tag.Message)
		same   bool
	}{
		{name: "same message", change: func(*tag.Message) {}, same: true},
		{name: "headers do not matter", change: func(m *tag.Message) { m.Headers = nil }, same: true},
		{name: "subject", change: func(m *tag.Message) { m.Subject += "x" }},
		{name: "payload", change: func(m *tag.Message) { m.Payload = testMessage(2).Payload }},
		{name: "node", change: func(m *tag.Message) { m.Node = &other }},
		{name: "no node", change: func(m *tag.Message) { m.Node = nil }},
		{name: "source time", change: func(m *tag.Message) { m.SourceTime = m.SourceTime.Add(time.Nanosecond) }},
		{name: "boundary between subject and payload", change: func(m *tag.Message) {
			m.Subject, m.Payload = m.Subject+string(m.Payload[:1]), m.Payload[1:]
		}},
	}
	// The id of a message must not change between releases: a message
	// replayed after an upgrade is still recognised as a duplicate. Round 6
	// shortened it (for the bytes stored with every message and the ids the
	// server holds) to the first 96 bits of the hash earlier releases gave
	// as 32 hex digits, 1cf324d411e5f04201acf61bb02fef2b.
	want := MsgID(base)
	if want != "HPMk1BHl8EIBrPYb" {
		t.Fatalf("MsgID = %q, want the id of the last release", want)
	}
	if old, _ := hex.DecodeString("1cf324d411e5f04201acf61bb02fef2b"); want != base64.RawURLEncoding.EncodeToString(old[:12]) {
		t.Fatalf("MsgID = %q, want the base64 of the first 96 bits of the earlier id", want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := *base
			tt.change(&m)
			if got := MsgID(&m); (got == want) != tt.same {
				t.Errorf("MsgID = %s, base %s, want same=%v", got, want, tt.same)
			}
		})
	}
}

// headersOf converts tag headers to the nats.Header a subscriber sees.
func headersOf(m *tag.Message) nats.Header {
	h := nats.Header{}
	for _, kv := range m.Headers {
		h[kv.Key] = []string{kv.Value}
	}
	return h
}

func TestPublishCore(t *testing.T) {
	t.Parallel()
	s := startSink(t, embeddedConfig(t, false))
	if !s.Ready() {
		t.Fatal("Ready() = false after Start")
	}
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("umh.v1.>")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush subscription: %v", err)
	}
	ctx := context.Background()
	const n = 20
	for i := range n {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	for i := range n {
		got, err := sub.NextMsg(waitTimeout)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		want := testMessage(i)
		if got.Subject != want.Subject {
			t.Errorf("message %d subject = %q, want %q", i, got.Subject, want.Subject)
		}
		if string(got.Data) != string(want.Payload) {
			t.Errorf("message %d payload = %q, want %q", i, got.Data, want.Payload)
		}
		if diff := cmp.Diff(headersOf(want), got.Header); diff != "" {
			t.Errorf("message %d headers (-want +got):\n%s", i, diff)
		}
	}
	st := s.Stats()
	if st.Published != n || len(st.Lost) != 0 || !st.Connected {
		t.Errorf("Stats = %+v, want %d published, none lost, connected", st, n)
	}
}

func TestPublishJetStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// msgs are the testMessage sequence numbers published in order.
		msgs []int
		// want is how many messages the stream must hold.
		want uint64
	}{
		{name: "every message acked and stored", msgs: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, want: 10},
		{name: "same message twice is stored once", msgs: []int{7, 7}, want: 1},
		{name: "duplicates among others", msgs: []int{1, 2, 1, 3, 2}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSink(t, embeddedConfig(t, true))
			if !s.Ready() {
				t.Fatal("Ready() = false after Start")
			}
			ctx := context.Background()
			for _, i := range tt.msgs {
				if err := s.Publish(ctx, testMessage(i)); err != nil {
					t.Fatalf("publish %d: %v", i, err)
				}
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatalf("flush: %v", err)
			}
			st := s.Stats()
			if st.Published != uint64(len(tt.msgs)) || st.AcksPending != 0 || len(st.Lost) != 0 {
				t.Errorf("Stats = %+v, want %d acked, none pending or lost", st, len(tt.msgs))
			}
			nc := connect(t, s.ClientURL())
			if n, err := streamMsgs(t, nc, "", DefaultStream); err != nil || n != tt.want {
				t.Fatalf("stream holds %d messages (err %v), want %d", n, err, tt.want)
			}
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			str, err := js.Stream(ctx, DefaultStream)
			if err != nil {
				t.Fatal(err)
			}
			first := testMessage(tt.msgs[0])
			got, err := str.GetMsg(ctx, 1)
			if err != nil {
				t.Fatalf("stream message 1: %v", err)
			}
			wantHdr := headersOf(first)
			wantHdr[MsgIDHeader] = []string{MsgID(first)}
			if diff := cmp.Diff(wantHdr, got.Header); diff != "" {
				t.Errorf("stored headers (-want +got):\n%s", diff)
			}
			if got.Subject != first.Subject || string(got.Data) != string(first.Payload) {
				t.Errorf("stored %q %q, want %q %q", got.Subject, got.Data, first.Subject, first.Payload)
			}
		})
	}
}

// TestPublishKeepsEngineMsgID checks that an id set by the engine is used
// as it is, not replaced.
func TestPublishKeepsEngineMsgID(t *testing.T) {
	t.Parallel()
	s := startSink(t, embeddedConfig(t, true))
	ctx := context.Background()
	a, b := testMessage(1), testMessage(2)
	a.Headers = append(a.Headers, tag.Header{Key: MsgIDHeader, Value: "engine-id"})
	b.Headers = append(b.Headers, tag.Header{Key: MsgIDHeader, Value: "engine-id"})
	for _, m := range []*tag.Message{a, b} {
		if err := s.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	nc := connect(t, s.ClientURL())
	if n, err := streamMsgs(t, nc, "", DefaultStream); err != nil || n != 1 {
		t.Fatalf("stream holds %d messages (err %v), want 1: the engine's id de-duplicates", n, err)
	}
}

// TestBackpressure publishes into a server where no stream captures the
// subject yet: nothing is acked, the publisher retries, and once
// MaxAckPending messages are outstanding Publish blocks instead of dropping.
// Creating the stream lets the retries succeed and the blocked call return.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	cfg := Config{
		Name: "test",
		URL:  srv.ClientURL(),
		JetStream: JetStream{
			Enabled:       true,
			Stream:        "OTHER",
			Subjects:      []string{"other.>"},
			MaxAckPending: 2,
		},
	}
	s := startSink(t, cfg)
	ctx := context.Background()
	for i := range 2 {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.Publish(ctx, testMessage(2)) }()

	// Both slots stay taken while the publisher keeps retrying: the third
	// call is blocked, not dropped.
	natstest.WaitFor(t, waitTimeout, func() error {
		if st := s.Stats(); st.AcksPending != 2 || st.Retried < 4 {
			return errors.New("waiting for retries with two acks pending")
		}
		return nil
	})
	select {
	case err := <-done:
		t.Fatalf("third Publish returned (%v) while MaxAckPending messages were unacked", err)
	default:
	}
	if st := s.Stats(); len(st.Lost) != 0 {
		t.Fatalf("lost %v while blocked", st.Lost)
	}

	nc := connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "UNS", Subjects: []string{"umh.v1.>"}, Duplicates: time.Minute}); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("blocked Publish: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("blocked Publish did not return after the stream appeared")
	}
	fctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if got := streamSeqs(t, nc, "", "UNS"); !cmp.Equal(got, map[int]int{0: 1, 1: 1, 2: 1}) {
		t.Errorf("stream holds %v, want messages 0, 1, 2 once each", got)
	}
}

// TestPublishCanceledWhileBlocked checks that a Publish blocked by
// backpressure returns when its ctx ends and counts the message as lost.
func TestPublishCanceledWhileBlocked(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, func(o *server.Options) { o.JetStream = false })
	s := startSink(t, Config{Name: "test", URL: srv.ClientURL(), JetStream: JetStream{Enabled: true, MaxAckPending: 1}})
	if err := s.Publish(context.Background(), testMessage(0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Publish(ctx, testMessage(1)) }()
	natstest.WaitFor(t, waitTimeout, func() error {
		if s.Stats().Retried < 1 {
			return errors.New("waiting for a retry")
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish = %v, want context.Canceled", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	want := map[string]uint64{LostCanceled: 1, LostUnackedAtClose: 1}
	if diff := cmp.Diff(want, s.Stats().Lost); diff != "" {
		t.Errorf("Lost (-want +got):\n%s", diff)
	}
}

// TestExternalNotReachableAtStart starts the sink before its server exists:
// Start succeeds, Publish blocks (nothing is dropped) until the server
// appears on that port, then every message flows.
func TestExternalNotReachableAtStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		js   bool
	}{
		{name: "core", js: false},
		{name: "jetstream", js: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			port := natstest.FreePort(t)
			url := "nats://127.0.0.1:" + itoa(port)
			s := startSink(t, Config{Name: "test", URL: url, JetStream: JetStream{Enabled: tt.js}})
			if s.Ready() {
				t.Fatal("Ready() = true without a server")
			}
			ctx := context.Background()
			const n = 5
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
			select {
			case err := <-done:
				t.Fatalf("Publish returned (%v) before any server existed", err)
			default:
			}

			// The server's stream captures the subjects in both modes, so
			// the test sees what arrived whether it came by core NATS or
			// JetStream. In core mode the sink must not create it.
			dir := t.TempDir()
			if !tt.js {
				prep := natstest.Start(t, func(o *server.Options) { o.StoreDir = dir })
				js, err := jetstream.New(connect(t, prep.ClientURL()))
				if err != nil {
					t.Fatal(err)
				}
				cfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"umh.v1.>"}, Storage: jetstream.FileStorage}
				if _, err := js.CreateStream(ctx, cfg); err != nil {
					t.Fatal(err)
				}
				natstest.Stop(prep)
			}
			srv := natstest.Start(t, func(o *server.Options) { o.Port = port; o.StoreDir = dir })
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("publish: %v", err)
				}
			case <-time.After(waitTimeout):
				t.Fatal("Publish still blocked after the server appeared")
			}
			natstest.WaitFor(t, waitTimeout, func() error {
				if !s.Ready() {
					return errors.New("sink not ready")
				}
				return nil
			})
			fctx, cancel := context.WithTimeout(ctx, waitTimeout)
			defer cancel()
			if err := s.Flush(fctx); err != nil {
				t.Fatalf("flush: %v", err)
			}
			nc := connect(t, srv.ClientURL())
			waitStreamMsgs(t, nc, "", DefaultStream, n, waitTimeout)
			if got := streamSeqs(t, nc, "", DefaultStream); len(got) != n {
				t.Errorf("stream holds %v, want messages 0..4 once each", got)
			}
			if st := s.Stats(); len(st.Lost) != 0 {
				t.Errorf("lost %v", st.Lost)
			}
		})
	}
}
