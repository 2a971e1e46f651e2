package sink

import (
	"context"
	"errors"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/tag"
)

// TestRawPublishNatsVersion pins the nats.go release publishRaw was checked
// against. When this fails after an upgrade, compare publishRaw's signature
// with (*Conn).publish in the new release (and what PublishMsg does around
// it), then update natsVersion. Until then the binary publishes with
// PublishMsg (choosePublish).
func TestRawPublishNatsVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/nats-io/nats\.go (\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/nats-io/nats.go")
	}
	if got := string(m[1]); got != natsVersion {
		t.Fatalf("go.mod requires nats.go %s, publishRaw was checked against %s: re-check it against (*nats.Conn).publish", got, natsVersion)
	}
}

// TestChoosePublish checks that the linked path is taken exactly when the
// build has it and nats.go is the checked release.
func TestChoosePublish(t *testing.T) {
	t.Parallel()
	if _, linked := choosePublish(nats.Version); linked != (linkedPublish != nil) {
		t.Errorf("nats.go %s: linked %v, want %v", nats.Version, linked, linkedPublish != nil)
	}
	if _, linked := choosePublish("1.0.0"); linked {
		t.Error("nats.go 1.0.0: the linked path was chosen for a release it was not checked against")
	}
}

// TestRawPublishMatchesPublishMsg publishes each message twice through a
// real server, once as nats.go's PublishMsg does from a nats.Header and once
// with the sink's own encoding through each publish path the build has
// (linkedPublish, publishMsg), and checks that a subscriber receives the
// same subject, payload and headers, and that both refuse the same
// messages.
func TestRawPublishMatchesPublishMsg(t *testing.T) {
	t.Parallel()
	paths := map[string]publishFunc{"publishMsg": publishMsg}
	if linkedPublish != nil {
		paths["linked"] = linkedPublish
	}
	for name, publish := range paths {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testPublishPath(t, publish)
		})
	}
}

func testPublishPath(t *testing.T, publish publishFunc) {
	srv := natstest.Start(t)
	pub, sub := connect(t, srv.ClientURL()), connect(t, srv.ClientURL())
	s, err := sub.SubscribeSync(">")
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}
	h := func(kv ...string) []tag.Header {
		var hs []tag.Header
		for i := 0; i < len(kv); i += 2 {
			hs = append(hs, tag.Header{Key: kv[i], Value: kv[i+1]})
		}
		return hs
	}
	cases := []struct {
		name    string
		headers []tag.Header
		withID  bool
		wantErr error
	}{
		{name: "realistic", headers: testMessage(1).Headers, withID: true},
		{name: "without id", headers: testMessage(2).Headers},
		{name: "no headers"},
		{name: "only the id", withID: true},
		{name: "white space", headers: h("a", "  x  ", "b", "\tx\t", "c", "x\r\ny", "d", "\r\nx\n", "e", "x y")},
		{name: "empty and non-ASCII values", headers: h("a", "", "b", "Grad °C – Ø", "c", " ")},
		{name: "a key twice", headers: h("a", "1", "b", "2", "a", "3"), withID: true},
		{name: "own id", headers: h(MsgIDHeader, "mine", "x", "1"), withID: true},
		{name: "case differs", headers: h("Key", "1", "key", "2")},
		{name: "refused key", headers: h("ok", "1", "a:b", "2"), wantErr: nats.ErrBadHeaderMsg},
	}
	receive := func() *nats.Msg {
		t.Helper()
		m, err := s.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for i, c := range cases {
		m := &tag.Message{Subject: "raw.x" + itoa(i), Payload: []byte(`{"value": 1}`), Headers: c.headers}
		nm := &nats.Msg{Subject: "lib.x" + itoa(i), Data: m.Payload, Header: wantHeader(m, c.withID)}
		libErr := pub.PublishMsg(nm)
		o := new(outMsg)
		rawErr := o.fill(m, c.withID)
		if rawErr == nil {
			rawErr = publish(pub, o.subject, "", o.hdr, o.data)
		}
		if libErr != c.wantErr || !errors.Is(rawErr, c.wantErr) {
			t.Fatalf("%s: PublishMsg: %v, raw: %v; want %v", c.name, libErr, rawErr, c.wantErr)
		}
		if c.wantErr != nil {
			continue
		}
		lib, raw := receive(), receive()
		if lib.Subject != nm.Subject || raw.Subject != m.Subject {
			t.Fatalf("%s: received %s and %s, want %s then %s", c.name, lib.Subject, raw.Subject, nm.Subject, m.Subject)
		}
		if string(raw.Data) != string(lib.Data) {
			t.Errorf("%s: payload %q, PublishMsg's %q", c.name, raw.Data, lib.Data)
		}
		if diff := cmp.Diff(lib.Header, raw.Header); diff != "" {
			t.Errorf("%s: headers (-PublishMsg +raw):\n%s", c.name, diff)
		}
	}
}

// TestPublishRefusedHeaderKey publishes a message with a header key NATS
// refuses between two good ones, on core NATS and on JetStream: it alone is
// lost, counted as rejected with a publish error, and the others arrive.
func TestPublishRefusedHeaderKey(t *testing.T) {
	t.Parallel()
	for _, js := range []bool{false, true} {
		t.Run(map[bool]string{false: "core", true: "jetstream"}[js], func(t *testing.T) {
			t.Parallel()
			s := startSink(t, embeddedConfig(t, js))
			nc := connect(t, s.ClientURL())
			sub, err := nc.SubscribeSync("umh.v1.>")
			if err != nil {
				t.Fatal(err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			bad := testMessage(2)
			bad.Headers = append(bad.Headers[:2:2], tag.Header{Key: "bad key", Value: "x"})
			ctx := context.Background()
			if err := s.Publish(ctx, testMessage(1)); err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(ctx, bad); !errors.Is(err, nats.ErrBadHeaderMsg) {
				t.Fatalf("publish with a refused key: err = %v, want %v", err, nats.ErrBadHeaderMsg)
			}
			if err := s.Publish(ctx, testMessage(3)); err != nil {
				t.Fatal(err)
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			for _, want := range []int{1, 3} {
				m, err := sub.NextMsg(10 * time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if got := seqOf(t, m.Data); got != want {
					t.Fatalf("received message %d, want %d", got, want)
				}
			}
			st := s.Stats()
			if diff := cmp.Diff(map[string]uint64{LostRejected: 1}, st.Lost); diff != "" {
				t.Errorf("Lost (-want +got):\n%s", diff)
			}
			if st.Published != 2 || st.PublishErrors != 1 || st.AcksPending != 0 {
				t.Errorf("Stats = %+v, want 2 published, 1 publish error, none pending", st)
			}
		})
	}
}
