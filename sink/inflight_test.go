package sink

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testlog"
)

func TestParseAck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    string
		want    error
		errCode jetstream.ErrorCode
	}{
		{name: "ack", data: `{"stream":"EDGETAG","seq":12}`},
		{name: "duplicate", data: `{"stream":"EDGETAG","seq":12,"duplicate":true}`},
		{name: "ack with domain", data: `{"stream":"EDGETAG","domain":"site","seq":1}`},
		{name: "stream named error", data: `{"stream":"error","seq":1}`},
		{name: "stream error", data: `{"error":{"code":400,"err_code":10054,"description":"maximum messages exceeded"},"stream":"EDGETAG","seq":0}`,
			errCode: 10054},
		{name: "no responders", data: "", want: jetstream.ErrNoStreamResponse},
		{name: "not json", data: "-ERR", want: jetstream.ErrInvalidJSAck},
		{name: "no stream", data: `{"seq":1}`, want: jetstream.ErrInvalidJSAck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := parseAck(&nats.Msg{Data: []byte(tt.data)})
			if tt.errCode != 0 {
				var apiErr *jetstream.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode != tt.errCode {
					t.Fatalf("parseAck = %v, want API error %d", err, tt.errCode)
				}
				return
			}
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("parseAck = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestInflightLateAck checks that the ack of an attempt given up on (timed
// out, then retried) is ignored, and that only the current attempt's ack
// settles the slot.
func TestInflightLateAck(t *testing.T) {
	t.Parallel()
	f := newInflight(2)
	f.prefix = "_INBOX.x."
	i := <-f.free
	f.claim(i, &outMsg{})
	o, gen1 := f.startAttempt(i)
	first := o.reply
	if want := "_INBOX.x." + strconv.Itoa(i) + "." + strconv.FormatUint(gen1, 10); first != want {
		t.Fatalf("reply = %q, want %q", first, want)
	}
	f.sent(i, gen1, time.Millisecond)
	if got := f.expired(time.Now().Add(time.Second), false); len(got) != 1 || got[0].i != i || got[0].attempts != 1 {
		t.Fatalf("expired = %+v, want slot %d after one attempt", got, i)
	}
	if _, ok := f.takeReply(first); ok {
		t.Fatal("the timed-out attempt's ack was taken")
	}
	o, gen2 := f.startAttempt(i)
	f.sent(i, gen2, time.Hour)
	if got := f.expired(time.Now(), false); len(got) != 0 {
		t.Fatalf("expired = %+v before the deadline", got)
	}
	for _, bad := range []string{first, "_INBOX.y.0.1", "_INBOX.x.9.1", "_INBOX.x.0", "_INBOX.x.a.1"} {
		if _, ok := f.takeReply(bad); ok {
			t.Errorf("takeReply(%q) taken", bad)
		}
	}
	got, ok := f.takeReply(o.reply)
	if !ok || got != i {
		t.Fatalf("takeReply(%q) = %d, %v; want %d", o.reply, got, ok, i)
	}
	if _, ok := f.takeReply(o.reply); ok {
		t.Fatal("one ack taken twice")
	}
	if f.pending() != 1 {
		t.Fatalf("pending = %d before release, want 1", f.pending())
	}
	f.release(i)
	if f.pending() != 0 || !f.waitIdle(nil) {
		t.Fatalf("pending = %d after release, want 0", f.pending())
	}
}

// TestRetryAfterDuplicateWindowLogged publishes to a subject whose only
// subscriber never answers: every attempt times out, so each may have been
// stored, and once the retries outlast the duplicate window the sink warns
// that the stream may store the message twice. Nothing is lost meanwhile.
func TestRetryAfterDuplicateWindowLogged(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, func(o *server.Options) { o.JetStream = false })
	sub, err := connect(t, srv.ClientURL()).SubscribeSync("umh.v1.>")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	var logs testlog.Buffer
	cfg := Config{Name: "test", URL: srv.ClientURL(), JetStream: JetStream{
		Enabled: true, AckTimeout: 20 * time.Millisecond, DuplicateWindow: 100 * time.Millisecond,
	}}
	s, err := New(cfg, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(context.Background(), testMessage(1)); err != nil {
		t.Fatal(err)
	}
	natstest.WaitFor(t, waitTimeout, func() error {
		if !strings.Contains(logs.String(), "retry after the stream's duplicate window") || s.Stats().Retried == 0 {
			return errors.New("no retry with a warning about the duplicate window yet")
		}
		return nil
	})
	if st := s.Stats(); st.AcksPending != 1 || len(st.Lost) != 0 {
		t.Errorf("Stats = %+v, want the message pending, none lost", st)
	}
}

// TestNoDuplicateWarningAfterRefusals checks that retries of a message the
// server refused each time (no stream) do not warn about duplicates however
// long they last: nothing can have been stored.
func TestNoDuplicateWarningAfterRefusals(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, func(o *server.Options) { o.JetStream = false })
	var logs testlog.Buffer
	cfg := Config{Name: "test", URL: srv.ClientURL(), JetStream: JetStream{
		Enabled: true, DuplicateWindow: 100 * time.Millisecond,
	}}
	s, err := New(cfg, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(context.Background(), testMessage(1)); err != nil {
		t.Fatal(err)
	}
	// Retries back off from 100 ms; the fourth comes well after the window.
	natstest.WaitFor(t, waitTimeout, func() error {
		if s.Stats().Retried < 4 {
			return errors.New("waiting for four retries")
		}
		return nil
	})
	if strings.Contains(logs.String(), "duplicate window") {
		t.Errorf("warned about duplicates after refusals only:\n%s", logs.String())
	}
}
