package sink

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/tag"
)

// waitTimeout bounds every condition a test waits for.
const waitTimeout = 30 * time.Second

var testNode = &tag.Node{Src: &tag.SourceInfo{Name: "press-line"}, ID: "ns=2;s=Line1.Temp", Name: "Temp", Group: "Line1", Path: "Line1.Temp", DataType: "Double"}

// testMessage returns message i of a realistic shape: a UNS subject, a
// 50-byte payload and the 13 meta headers the engine emits.
func testMessage(i int) *tag.Message {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	payload := fmt.Appendf(nil, `{"value": %12d, "timestamp_ms": %d}`, i, ts.UnixMilli())
	return &tag.Message{
		Subject:     "umh.v1.acme.berlin.assembly.line4._historian.Line1.Temp",
		Payload:     payload,
		TimestampMs: ts.UnixMilli(),
		Node:        testNode,
		SourceTime:  ts,
		Headers: []tag.Header{
			{Key: "location_path", Value: "acme.berlin.assembly.line4"},
			{Key: "data_contract", Value: "_historian"},
			{Key: "tag_name", Value: "Temp"},
			{Key: "virtual_path", Value: "Line1"},
			{Key: "opcua_source", Value: "press-line"},
			{Key: "opcua_endpoint", Value: "opc.tcp://10.0.0.5:4840"},
			{Key: "opcua_node_id", Value: "ns=2;s=Line1.Temp"},
			{Key: "opcua_tag_name", Value: "Temp"},
			{Key: "opcua_tag_group", Value: "Line1"},
			{Key: "opcua_tag_path", Value: "Line1.Temp"},
			{Key: "opcua_tag_type", Value: "number"},
			{Key: "opcua_data_type", Value: "Double"},
			{Key: "opcua_status_code", Value: "Good"},
		},
	}
}

// seqOf returns the sequence number testMessage wrote into a payload.
func seqOf(t testing.TB, payload []byte) int {
	t.Helper()
	var i int
	var ms int64
	if _, err := fmt.Sscanf(string(payload), `{"value": %d, "timestamp_ms": %d}`, &i, &ms); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	return i
}

// embeddedConfig is an embedded server on a random loopback port, with
// JetStream in a temporary store when js is set.
func embeddedConfig(t testing.TB, js bool) Config {
	t.Helper()
	c := Config{Name: "test", Embedded: Embedded{Listen: "127.0.0.1:0"}}
	if js {
		c.JetStream.Enabled = true
		c.Embedded.StoreDir = t.TempDir()
	}
	return c
}

// startSink builds and starts a sink and closes it in t.Cleanup.
func startSink(t testing.TB, c Config) *Sink {
	t.Helper()
	s, err := New(c, zerolog.Nop())
	if err != nil {
		t.Fatalf("new sink: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("start sink: %v", err)
	}
	return s
}

// connect connects a test client to url.
func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// streamMsgs returns the number of messages in stream name as seen by nc
// (in JetStream domain, "" for the local one).
func streamMsgs(t testing.TB, nc *nats.Conn, domain, name string) (uint64, error) {
	t.Helper()
	js, err := newJS(nc, domain)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// waitStreamMsgs waits up to timeout until stream name holds want messages.
func waitStreamMsgs(t testing.TB, nc *nats.Conn, domain, name string, want uint64, timeout time.Duration) {
	t.Helper()
	natstest.WaitFor(t, timeout, func() error {
		n, err := streamMsgs(t, nc, domain, name)
		if err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("stream %s holds %d messages, want %d", name, n, want)
		}
		return nil
	})
}

// streamSeqs reads every message of stream name and returns how often each
// testMessage sequence number occurs.
func streamSeqs(t testing.TB, nc *nats.Conn, domain, name string) map[int]int {
	t.Helper()
	js, err := newJS(nc, domain)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s info: %v", name, err)
	}
	seen := make(map[int]int)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("stream %s message %d: %v", name, seq, err)
		}
		seen[seqOf(t, m.Data)]++
	}
	return seen
}

func itoa(i int) string { return strconv.Itoa(i) }

// newJS is a JetStream client for domain ("" = the local one).
func newJS(nc *nats.Conn, domain string) (jetstream.JetStream, error) {
	if domain == "" {
		return jetstream.New(nc)
	}
	return jetstream.NewWithDomain(nc, domain)
}

func zerologNop() zerolog.Logger { return zerolog.Nop() }
