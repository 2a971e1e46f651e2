package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"

	"github.com/edgetag/edgetag/internal/natstest"
)

// violations records the permission violations a client's server reports.
type violations struct {
	mu   sync.Mutex
	errs []string
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		v.mu.Lock()
		v.errs = append(v.errs, err.Error())
		v.mu.Unlock()
	}
}

// refused returns nil once the server reported a violation naming subject.
func (v *violations) refused(subject string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.errs {
		if strings.Contains(e, `"`+subject+`"`) {
			return nil
		}
	}
	return fmt.Errorf("no permissions violation for %q; got %q", subject, v.errs)
}

// waitRefused waits until the server reported a violation naming subject.
func (v *violations) waitRefused(t *testing.T, subject string) {
	t.Helper()
	natstest.WaitFor(t, waitTimeout, func() error { return v.refused(subject) })
}

// attackerConn connects a client to the sink's embedded server with opts,
// recording its permission violations.
func attackerConn(t *testing.T, s *Sink, opts ...nats.Option) (*nats.Conn, *violations) {
	t.Helper()
	v := &violations{}
	nc, err := nats.Connect(s.srv.ClientURL(), append(opts, nats.ErrorHandler(v.handler))...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc, v
}

// nkeyUser returns a new user NKey: its public key and a connect option
// signing with its seed.
func nkeyUser(t *testing.T) (string, nats.Option) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub, nats.Nkey(pub, kp.Sign)
}

// TestOtherClientsCannotTakeOverTheAgent attacks the agent's embedded server
// the way the issue describes: with no users (anyone on the loopback), as a
// consumer-role user and as a custom user allowed everything it can be.
// Each client answers the agent's JetStream publishes with forged acks
// (seeing their reply subjects on umh.v1.>, or guessing them), subscribes
// to the agent's inboxes and, where its role forbids it, deletes, purges
// and updates the stream and publishes into umh.v1.>. Every one of these is
// refused, and because the stream does not capture the agent's subject, no
// message may be counted as published: a forged ack that got through would
// be.
func TestOtherClientsCannotTakeOverTheAgent(t *testing.T) {
	t.Parallel()
	consumerKey, consumerOpt := nkeyUser(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("admin-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		users []User
		opts  []nats.Option
		// manage: the client may manage the stream and publish into
		// umh.v1.> (the open default).
		manage bool
		// sees: the client can subscribe to the agent's subject and so
		// sees the reply subjects.
		sees bool
	}{
		{name: "anonymous without users", manage: true, sees: true},
		{name: "consumer role", users: []User{{NKey: consumerKey}}, opts: []nats.Option{consumerOpt}},
		{name: "custom role allowed everything", users: []User{{Name: "admin", Password: string(hash), Role: RoleCustom, Permissions: &Permissions{}}},
			opts: []nats.Option{nats.UserInfo("admin", "admin-pw")}, manage: true, sees: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := embeddedConfig(t, true)
			cfg.Embedded.Users = tt.users
			// The stream captures a subject the test message is not
			// published to: every publish fails (no responders) and is
			// retried, so only a forged ack could count it as published.
			cfg.JetStream.Subjects = []string{"umh.v1.captured.>"}
			cfg.JetStream.AckTimeout = time.Second
			s := startSink(t, cfg)
			nc, v := attackerConn(t, s, tt.opts...)

			// Answer every publish the client can see with a forged ack.
			forged := make(chan string, 1024)
			if tt.sees {
				if _, err := nc.Subscribe("umh.v1.>", func(m *nats.Msg) {
					if m.Reply != "" {
						_ = m.Respond([]byte(`{"stream":"EDGETAG","seq":1}`))
						forged <- m.Reply
					}
				}); err != nil {
					t.Fatal(err)
				}
				if err := nc.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			const n = 5
			for i := range n {
				if err := s.Publish(context.Background(), testMessage(i)); err != nil {
					t.Fatalf("publish %d: %v", i, err)
				}
			}
			// refusedNotCounted waits for the forged ack to reply to be
			// refused, failing at once if it was counted.
			refusedNotCounted := func(reply string) {
				t.Helper()
				natstest.WaitFor(t, waitTimeout, func() error {
					if got := s.Stats().Published; got != 0 {
						t.Fatalf("published = %d: a forged ack was counted as stored", got)
					}
					return v.refused(reply)
				})
			}
			if tt.sees {
				for range n {
					refusedNotCounted(<-forged)
				}
			} else {
				// Guess the reply subjects of the first attempts.
				for slot := range n {
					for gen := 1; gen <= 3; gen++ {
						reply := fmt.Sprintf("%s%d.%d", s.fl.prefix, slot, gen)
						if err := nc.Publish(reply, []byte(`{"stream":"EDGETAG","seq":1}`)); err != nil {
							t.Fatal(err)
						}
						refusedNotCounted(reply)
					}
				}
			}

			// Snoop on the agent's inboxes.
			if _, err := nc.Subscribe(AgentInboxPrefix+".>", func(*nats.Msg) {}); err != nil {
				t.Fatal(err)
			}
			v.waitRefused(t, AgentInboxPrefix+".>")

			if !tt.manage {
				for _, subj := range []string{
					"$JS.API.STREAM.DELETE." + DefaultStream,
					"$JS.API.STREAM.PURGE." + DefaultStream,
					"$JS.API.STREAM.UPDATE." + DefaultStream,
					"$JS.API.STREAM.CREATE.OTHER",
					"umh.v1.captured.x._raw.t",
				} {
					if err := nc.PublishRequest(subj, nats.NewInbox(), []byte(`{}`)); err != nil {
						t.Fatal(err)
					}
					v.waitRefused(t, subj)
				}
				if _, err := nc.Subscribe("umh.v1.>", func(*nats.Msg) {}); err != nil {
					t.Fatal(err)
				}
				v.waitRefused(t, "umh.v1.>")
			}

			if got := s.Stats().Published; got != 0 {
				t.Fatalf("published = %d after forged acks; nothing was stored", got)
			}
			if got := s.acksPending(); got != n {
				t.Fatalf("acks pending = %d, want %d", got, n)
			}
			js, err := jetstream.New(s.nc)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			st, err := js.Stream(ctx, DefaultStream)
			if err != nil {
				t.Fatalf("stream gone: %v", err)
			}
			if subj := st.CachedInfo().Config.Subjects; len(subj) != 1 || subj[0] != "umh.v1.captured.>" {
				t.Fatalf("stream subjects changed to %v", subj)
			}
		})
	}
}

// TestConsumerRoleReadsTheStream checks what the consumer role is for: live
// data on umh.v1.>, and a durable pull consumer on the stream, fetched and
// acked, while every message the agent published is counted once.
func TestConsumerRoleReadsTheStream(t *testing.T) {
	t.Parallel()
	cfg := embeddedConfig(t, true)
	cfg.Embedded.Users = []User{{Name: "historian", Password: "reader-pw"}}
	s := startSink(t, cfg)

	nc, v := attackerConn(t, s, nats.UserInfo("historian", "reader-pw"))
	live, err := nc.SubscribeSync("umh.v1.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	const n = 10
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for i := range n {
		if err := s.Publish(ctx, testMessage(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Published; got != n {
		t.Fatalf("published = %d, want %d", got, n)
	}
	for i := range n {
		m, err := live.NextMsg(waitTimeout)
		if err != nil {
			t.Fatalf("live message %d: %v", i, err)
		}
		if got := seqOf(t, m.Data); got != i {
			t.Fatalf("live message %d is %d", i, got)
		}
	}

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	if m, err := st.GetMsg(ctx, 3); err != nil || seqOf(t, m.Data) != 2 {
		t.Fatalf("message 3: %v", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, DefaultStream, jetstream.ConsumerConfig{Durable: "historian", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("create consumer: %v", err)
	}
	got := 0
	for got < n {
		batch, err := cons.Fetch(n - got)
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		for m := range batch.Messages() {
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatalf("ack: %v", err)
			}
			got++
		}
		if err := batch.Error(); err != nil {
			t.Fatalf("fetch: %v", err)
		}
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Stream != n {
		t.Fatalf("ack floor %d, want %d", info.AckFloor.Stream, n)
	}
	if err := js.DeleteConsumer(ctx, DefaultStream, "historian"); err != nil {
		t.Fatalf("delete own consumer: %v", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.errs) > 0 {
		t.Fatalf("the consumer role was refused: %q", v.errs)
	}
}

// TestEmbeddedUsersMustAuthenticate checks that with users configured a
// client without credentials, or with a wrong password, is refused, and
// that a bcrypt hash, a plain password and an NKey each admit their user.
func TestEmbeddedUsersMustAuthenticate(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("hashed-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	key, keyOpt := nkeyUser(t)
	_, otherKeyOpt := nkeyUser(t)
	cfg := embeddedConfig(t, true)
	cfg.Embedded.Users = []User{
		{Name: "plain", Password: "plain-pw"},
		{Name: "hashed", Password: string(hash)},
		{NKey: key},
	}
	s := startSink(t, cfg)
	tests := []struct {
		name string
		opts []nats.Option
		ok   bool
	}{
		{name: "no credentials"},
		{name: "wrong password", opts: []nats.Option{nats.UserInfo("plain", "nope")}},
		{name: "the hash as password", opts: []nats.Option{nats.UserInfo("hashed", string(hash))}},
		{name: "unknown nkey", opts: []nats.Option{otherKeyOpt}},
		{name: "plain password", opts: []nats.Option{nats.UserInfo("plain", "plain-pw")}, ok: true},
		{name: "bcrypt hash", opts: []nats.Option{nats.UserInfo("hashed", "hashed-pw")}, ok: true},
		{name: "nkey", opts: []nats.Option{keyOpt}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nc, err := nats.Connect(s.srv.ClientURL(), tt.opts...)
			if err == nil {
				defer nc.Close()
			}
			if tt.ok != (err == nil) {
				t.Fatalf("connect: %v, want success %v", err, tt.ok)
			}
			if !tt.ok && !errors.Is(err, nats.ErrAuthorization) {
				t.Fatalf("connect: %v, want an authorization error", err)
			}
		})
	}
}

// TestEmbeddedTLS serves the client port with TLS and a client CA: a client
// with a certificate of the CA connects and reads, one without is refused,
// and the agent's in-process connection publishes as usual.
func TestEmbeddedTLS(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, t.TempDir())
	cfg := embeddedConfig(t, true)
	cfg.Embedded.TLS = ServerTLS{Cert: pki.serverCert, Key: pki.serverKey, CA: pki.caFile}
	s := startSink(t, cfg)
	if !strings.HasPrefix(s.srv.ClientURL(), "tls://") {
		t.Fatalf("client url %s", s.srv.ClientURL())
	}
	if _, err := nats.Connect(s.srv.ClientURL(), nats.RootCAs(pki.caFile)); err == nil {
		t.Fatal("a client without a certificate connected")
	}
	nc, err := nats.Connect(s.srv.ClientURL(), nats.RootCAs(pki.caFile), nats.ClientCert(pki.clientCert, pki.clientKey))
	if err != nil {
		t.Fatalf("connect with a client certificate: %v", err)
	}
	defer nc.Close()
	if !nc.TLSRequired() {
		t.Fatal("connection is not TLS")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := s.Publish(ctx, testMessage(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitStreamMsgs(t, nc, "", DefaultStream, 1, waitTimeout)
}

// TestCheckListen is the listen policy.
func TestCheckListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen         string
		secured, allow bool
		wantErr        bool
		wantLoopback   bool
	}{
		{listen: "127.0.0.1:4222", wantLoopback: true},
		{listen: "127.1.2.3:4222", wantLoopback: true},
		{listen: "localhost:4222", wantLoopback: true},
		{listen: "[::1]:4222", wantLoopback: true},
		{listen: "0.0.0.0:4222", wantErr: true},
		{listen: ":4222", wantErr: true},
		{listen: "[::]:4222", wantErr: true},
		{listen: "10.0.0.5:4222", wantErr: true},
		{listen: "gateway.local:4222", wantErr: true},
		{listen: "0.0.0.0:4222", secured: true},
		{listen: "0.0.0.0:4222", allow: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s secured=%v allow=%v", tt.listen, tt.secured, tt.allow), func(t *testing.T) {
			t.Parallel()
			err := CheckListen(tt.listen, EmbeddedExposed, EmbeddedRemedy, tt.secured, tt.allow)
			if (err != nil) != tt.wantErr || err != nil && !strings.Contains(err.Error(), "allow_insecure_listen: true") {
				t.Fatalf("CheckListen = %v, want error %v", err, tt.wantErr)
			}
			if got := IsLoopback(tt.listen); got != tt.wantLoopback {
				t.Fatalf("IsLoopback = %v, want %v", got, tt.wantLoopback)
			}
		})
	}
}

// TestUserValidation covers the mistakes a site file can make in a user.
func TestUserValidation(t *testing.T) {
	t.Parallel()
	key, _ := nkeyUser(t)
	seed := "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4"
	tests := []struct {
		name string
		u    User
		want string // "" = valid
	}{
		{name: "password user", u: User{Name: "a", Password: "b"}},
		{name: "nkey user", u: User{NKey: key}},
		{name: "custom", u: User{Name: "a", Password: "b", Role: RoleCustom, Permissions: &Permissions{}}},
		{name: "nothing", u: User{}, want: "set user (with password) or nkey"},
		{name: "both", u: User{Name: "a", NKey: key}, want: "exclusive"},
		{name: "no password", u: User{Name: "a"}, want: "password: required"},
		{name: "seed as nkey", u: User{NKey: seed}, want: `"SUAIBDPB..." is not a public user nkey`},
		{name: "unknown role", u: User{Name: "a", Password: "b", Role: "admin"}, want: `"admin" is not a role`},
		{name: "permissions with consumer", u: User{Name: "a", Password: "b", Permissions: &Permissions{}}, want: "apply only to role custom"},
		{name: "custom without permissions", u: User{Name: "a", Password: "b", Role: RoleCustom}, want: "required with role custom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.u.validate("users[0]")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("validate = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), seed) {
				t.Fatalf("the error prints the seed: %v", err)
			}
		})
	}
}

// TestHubClientsCannotTakeOverTheAgent attacks through the leafnode uplink:
// a client of the hub answers the gateway's publishes with forged acks
// (seen on umh.v1.>, which the leaf forwards) and asks the gateway's
// JetStream domain to delete and purge the stream. The forged acks never
// reach the agent and the stream stays; the hub can still read it.
func TestHubClientsCannotTakeOverTheAgent(t *testing.T) {
	t.Parallel()
	hub := natstest.Hub(t, "hub")
	cfg := embeddedConfig(t, true)
	cfg.Embedded.Domain = "gw1"
	cfg.Embedded.Leafnode.URL = natstest.LeafURL(hub)
	cfg.JetStream.Subjects = []string{"umh.v1.captured.>"}
	s := startSink(t, cfg)
	natstest.WaitFor(t, waitTimeout, func() error {
		if hub.NumLeafNodes() != 1 {
			return fmt.Errorf("hub has %d leaf connections, want 1", hub.NumLeafNodes())
		}
		return nil
	})

	hubNC := connect(t, hub.ClientURL())
	forged := make(chan string, 1024)
	if _, err := hubNC.Subscribe("umh.v1.>", func(m *nats.Msg) {
		if m.Reply != "" {
			_ = m.Respond([]byte(`{"stream":"EDGETAG","seq":1}`))
			forged <- m.Reply
		}
	}); err != nil {
		t.Fatal(err)
	}
	snooped := make(chan string, 1024)
	if _, err := hubNC.Subscribe(AgentInboxPrefix+".>", func(m *nats.Msg) {
		if !strings.Contains(string(m.Data), `"seq":1`) { // not the hub's own forgeries
			snooped <- m.Subject
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := hubNC.Flush(); err != nil {
		t.Fatal(err)
	}
	// The hub learns the leaf's interest in umh.v1.> asynchronously:
	// publish until the hub client has answered n attempts.
	const n = 5
	for i := range n {
		if err := s.Publish(context.Background(), testMessage(i)); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		<-forged
	}

	hubJS, err := jetstream.NewWithDomain(hubNC, "gw1")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []func(context.Context) error{
		func(ctx context.Context) error { return hubJS.DeleteStream(ctx, DefaultStream) },
		func(ctx context.Context) error {
			st, err := hubJS.Stream(ctx, DefaultStream)
			if err != nil {
				return err
			}
			return st.Purge(ctx)
		},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := op(ctx)
		cancel()
		if err == nil {
			t.Fatal("the hub managed the gateway's stream")
		}
	}
	// The requests above went over the leaf connection after the forged
	// acks, and a read through the same path is answered: the forged acks
	// have been handled by the gateway by now. Then the agent's own
	// connection is flushed, so anything delivered to it has been read.
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := hubJS.Stream(ctx, DefaultStream); err != nil {
		t.Fatalf("the hub cannot read the gateway's stream: %v", err)
	}
	if err := s.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Published; got != 0 {
		t.Fatalf("published = %d: a forged ack from the hub was counted as stored", got)
	}
	if got := s.acksPending(); got != n {
		t.Fatalf("acks pending = %d, want %d", got, n)
	}
	select {
	case subj := <-snooped:
		t.Fatalf("the hub received the agent's %s", subj)
	default:
	}
}
