package opcua

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/internal/testutil"
)

func nsuID(s string) string { return "nsu=" + nodeOPCUANS + ";s=" + s }

// peerConfig is a source of the peer with short timers for tests.
func peerConfig(t testing.TB, endpoint string) Config {
	return Config{
		Name:               "peer",
		Site:               "test",
		Endpoint:           endpoint,
		Security:           Security{Policy: "None", Mode: "None"},
		StateDir:           t.TempDir(),
		PublishingInterval: 100 * time.Millisecond,
		SamplingInterval:   50 * time.Millisecond,
		PollInterval:       100 * time.Millisecond,
		ReconnectMin:       50 * time.Millisecond,
		ReconnectMax:       500 * time.Millisecond,
		Heartbeat:          300 * time.Millisecond,
		RequestTimeout:     10 * time.Second,
		RetryFailedItems:   time.Hour,
	}
}

// readUint32 reads one UInt32 variable of namespace 0.
func readUint32(t testing.TB, c *gopcua.Client, nodeID uint32) uint32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Read(ctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{{
		NodeID: ua.NewNumericNodeID(0, nodeID), AttributeID: ua.AttributeIDValue,
	}}})
	if err != nil {
		t.Fatalf("read i=%d: %v", nodeID, err)
	}
	if res.Results[0].Status != ua.StatusOK {
		t.Fatalf("read i=%d: %v", nodeID, res.Results[0].Status)
	}
	v, ok := res.Results[0].Value.Value().(uint32)
	if !ok {
		t.Fatalf("read i=%d: %T, want uint32", nodeID, res.Results[0].Value.Value())
	}
	return v
}

func TestNodeOPCUAConnect(t *testing.T) {
	p := sharedPeer(t)
	tests := []struct {
		name     string
		security Security
		auth     Auth
		accept   bool
		wantErr  error
	}{
		{name: "none anonymous", security: Security{"None", "None"}},
		{name: "basic256sha256 sign and encrypt", security: Security{"Basic256Sha256", "SignAndEncrypt"}, accept: true},
		{name: "aes256 sign", security: Security{"Aes256_Sha256_RsaPss", "Sign"}, accept: true},
		{name: "auto", security: Security{"auto", "auto"}, accept: true},
		{name: "right password", security: Security{"Basic256Sha256", "SignAndEncrypt"}, accept: true,
			auth: Auth{Username: peerUser, Password: peerPass}},
		{name: "wrong password", security: Security{"Basic256Sha256", "SignAndEncrypt"}, accept: true,
			auth: Auth{Username: peerUser, Password: "wrong"}, wantErr: ua.StatusBadUserAccessDenied},
		{name: "password over none needs a trusted server certificate", security: Security{"None", "None"},
			auth: Auth{Username: peerUser, Password: peerPass}, wantErr: ErrUntrusted},
		{name: "unknown server certificate refused", security: Security{"Basic256Sha256", "SignAndEncrypt"},
			wantErr: ErrUntrusted},
	}
	// An X.509 user identity: a certificate and key in files.
	userDir := t.TempDir()
	if _, _, err := loadOrCreateClientCert(userDir, "urn:edgetag:test:user"); err != nil {
		t.Fatal(err)
	}
	userAuth := Auth{
		Certificate: filepath.Join(userDir, "pki", "own", "cert.der"),
		Key:         filepath.Join(userDir, "pki", "own", "key.pem"),
	}
	tests = append(tests, struct {
		name     string
		security Security
		auth     Auth
		accept   bool
		wantErr  error
	}{name: "x509 user certificate", security: Security{"Basic256Sha256", "SignAndEncrypt"}, accept: true, auth: userAuth})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := peerConfig(t, p.Endpoint)
			cfg.Security, cfg.Auth, cfg.Trust.AcceptAny = tt.security, tt.auth, tt.accept
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Connect(ctx, cfg, testLogger(t))
			if tt.wantErr != nil {
				if c != nil {
					closeClient(c, time.Second)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Connect: got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			defer closeClient(c, 5*time.Second)
			if readUint32(t, c, id.Server_ServerDiagnostics_ServerDiagnosticsSummary_CurrentSessionCount) < 1 {
				t.Fatal("server reports no session")
			}
		})
	}
}

// TestNodeOPCUATrust runs a source against a server whose certificate is
// unknown: it is refused and written to rejected/, and once the file is
// moved to trusted/ the running source connects and values flow.
func TestNodeOPCUATrust(t *testing.T) {
	p := sharedPeer(t)
	cfg := peerConfig(t, p.Endpoint)
	cfg.Security = Security{"Basic256Sha256", "SignAndEncrypt"}
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}}
	src, col, stop := collectSource(t, cfg)

	rejectedDir := filepath.Join(cfg.StateDir, "pki", "rejected")
	var rejected []os.DirEntry
	testutil.WaitUntil(t, 30*time.Second, "certificate in rejected/", func() bool {
		rejected, _ = os.ReadDir(rejectedDir)
		return len(rejected) == 1
	})
	st := src.Status()
	if st.State == StateConnected || col.len() != 0 {
		t.Fatalf("connected with an untrusted certificate: %+v", st)
	}
	name := rejected[0].Name()
	if want := name[:len(name)-len(".der")]; !strings.Contains(st.LastError, want) {
		t.Fatalf("last error %q does not name thumbprint %s", st.LastError, want)
	}

	if err := os.Rename(filepath.Join(rejectedDir, name), filepath.Join(cfg.StateDir, "pki", "trusted", name)); err != nil {
		t.Fatal(err)
	}
	testutil.WaitUntil(t, 30*time.Second, "values after trusting", func() bool { return col.count(0, "Plant.Counter") >= 2 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := src.Status(); st.State != StateStopped {
		t.Fatalf("state after stop: %s", st.State)
	}
}

// TestNodeOPCUAAcquire subscribes and polls explicit variables, or a
// browsed folder, plus one unknown node: the others flow, the unknown one
// is counted as failed.
func TestNodeOPCUAAcquire(t *testing.T) {
	p := sharedPeer(t) // COUNT defaults to 10
	explicit := []NodeConfig{
		{ID: nsuID("Plant.Counter")}, {ID: nsuID("Plant.Temperature")}, {ID: nsuID("Plant.Running")},
		{ID: nsuID("Plant.State")}, {ID: nsuID("Plant.Big")}, {ID: nsuID("Plant.Static")},
		{ID: nsuID("Plant.Scale.Tag00009")},
	}
	tests := []struct {
		name      string
		mode      string
		nodes     []NodeConfig
		wantNodes int
	}{
		{name: "subscribe explicit", mode: ModeSubscribe, nodes: explicit, wantNodes: 7},
		{name: "poll explicit", mode: ModePoll, nodes: explicit, wantNodes: 7},
		// 6 plant variables and 10 scale tags.
		{name: "subscribe browsed", mode: ModeSubscribe, nodes: []NodeConfig{{ID: nsuID("Plant")}}, wantNodes: 16},
		{name: "poll browsed", mode: ModePoll, nodes: []NodeConfig{{ID: nsuID("Plant")}}, wantNodes: 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := peerConfig(t, p.Endpoint)
			cfg.Mode = tt.mode
			cfg.Nodes = append(append([]NodeConfig{}, tt.nodes...), NodeConfig{ID: nsuID("Plant.DoesNotExist")})
			src, col, stop := collectSource(t, cfg)
			testutil.WaitUntil(t, 30*time.Second, "changing values", func() bool {
				return col.count(0, "Plant.Counter") >= 3 && col.count(0, "Plant.Scale.Tag00009") >= 3
			})
			st := src.Status()
			if st.Nodes != tt.wantNodes || st.FailedItems != 1 || st.State != StateDegraded {
				t.Fatalf("status: got nodes %d, failed %d, state %s; want %d, 1, degraded", st.Nodes, st.FailedItems, st.State, tt.wantNodes)
			}
			if st.BrowseTime <= 0 {
				t.Fatalf("browse time not recorded: %+v", st)
			}
			if st.Samples == 0 || uint64(col.len()) != st.Samples {
				t.Fatalf("samples counted %d, emitted %d", st.Samples, col.len())
			}
			big, _ := col.last("Plant.Big")
			if v, ok := big.Value.(uint64); !ok || v <= 1<<53 {
				t.Fatalf("Big: got %T %v, want uint64 above 2^53", big.Value, big.Value)
			}
			if big.SourceTime.IsZero() || big.ServerTime.IsZero() || big.ReceivedAt.IsZero() || big.Status != 0 {
				t.Fatalf("Big: timestamps or status missing: %+v", big)
			}
			if big.Node.BrowseName != "Big" || big.Node.DataType != "UInt64" {
				t.Fatalf("Big node: %+v", big.Node)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// TestNodeOPCUAReconnect kills the server mid-stream and starts it again:
// values resume without restarting the source, every value is read once
// after the gap, exactly one session is open afterwards, and stopping the
// source closes it.
func TestNodeOPCUAReconnect(t *testing.T) {
	p := startPeer(t)
	cfg := peerConfig(t, p.Endpoint)
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}, {ID: nsuID("Plant.Static")}}
	src, col, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 30*time.Second, "first values", func() bool { return col.count(0, "Plant.Counter") >= 3 })
	if n := col.count(0, "Plant.Static"); n != 1 {
		t.Fatalf("Static before the gap: %d samples, want 1 (the subscription's initial value)", n)
	}

	p.kill()
	testutil.WaitUntil(t, 30*time.Second, "disconnected", func() bool { return src.Status().State == StateDisconnected })
	mark := col.len()
	p.restart()

	testutil.WaitUntil(t, 60*time.Second, "values after restart", func() bool { return col.count(mark, "Plant.Counter") >= 3 })
	testutil.WaitUntil(t, 10*time.Second, "read after reconnect", func() bool { return col.count(mark, "Plant.Static") >= 2 })
	if st := src.Status(); st.Reconnects < 1 || st.State != StateConnected {
		t.Fatalf("status after restart: %+v", st)
	}

	check := peerConfig(t, p.Endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, check, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(c, 5*time.Second)
	const sessions = id.Server_ServerDiagnostics_ServerDiagnosticsSummary_CurrentSessionCount
	if n := readUint32(t, c, sessions); n != 2 {
		t.Fatalf("sessions after reconnect: %d, want 2 (the source and this check)", n)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	testutil.WaitUntil(t, 10*time.Second, "source session closed", func() bool { return readUint32(t, c, sessions) == 1 })
	closeClient(c, 5*time.Second)
	checkNoClientGoroutines(t)
}

// TestNodeOPCUAHalfOpen freezes the server process (SIGSTOP): its TCP
// connections stay open but nothing answers, which TCP does not report.
// The heartbeat detects it, the source keeps retrying, and once the server
// runs again (SIGCONT) values resume.
func TestNodeOPCUAHalfOpen(t *testing.T) {
	p := startPeer(t)
	cfg := peerConfig(t, p.Endpoint)
	cfg.RequestTimeout = 2 * time.Second
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}}
	src, col, stop := collectSource(t, cfg)
	testutil.WaitUntil(t, 30*time.Second, "first values", func() bool { return col.count(0, "Plant.Counter") >= 3 })

	p.signal(syscall.SIGSTOP)
	testutil.WaitUntil(t, 30*time.Second, "dead connection detected", func() bool { return src.Status().State == StateDisconnected })
	if st := src.Status(); !strings.Contains(st.LastError, "heartbeat") && !strings.Contains(st.LastError, "silent") {
		t.Fatalf("last error %q names neither the heartbeat nor a silent subscription", st.LastError)
	}
	p.signal(syscall.SIGCONT)
	mark := col.len()
	testutil.WaitUntil(t, 60*time.Second, "values after the server runs again", func() bool { return col.count(mark, "Plant.Counter") >= 3 })
	if st := src.Status(); st.Reconnects < 1 {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestNodeOPCUARetryFailedItems configures a node that does not exist yet:
// it is counted as failed, the others flow, and once the server adds it
// the periodic retry picks it up without a reconnect.
func TestNodeOPCUARetryFailedItems(t *testing.T) {
	for _, mode := range []string{ModeSubscribe, ModePoll} {
		t.Run(mode, func(t *testing.T) {
			p := startPeer(t, "LATE_MS=3000")
			cfg := peerConfig(t, p.Endpoint)
			cfg.Mode = mode
			cfg.RetryFailedItems = 200 * time.Millisecond
			cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}, {ID: nsuID("Plant.Late")}}
			src, col, stop := collectSource(t, cfg)
			testutil.WaitUntil(t, 30*time.Second, "values of the good node", func() bool { return col.count(0, "Plant.Counter") >= 1 })
			if col.count(0, "Plant.Late") == 0 {
				if st := src.Status(); st.FailedItems != 1 || st.State != StateDegraded {
					t.Fatalf("status before the node exists: %+v", st)
				}
			}
			testutil.WaitUntil(t, 30*time.Second, "values of the late node", func() bool { return col.count(0, "Plant.Late") >= 2 })
			st := src.Status()
			if st.FailedItems != 0 || st.State != StateConnected || st.Nodes != 2 || st.Reconnects != 0 {
				t.Fatalf("status after the retry: %+v", st)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// TestNodeOPCUANewCertificate restarts the server with a new certificate
// (gopcua's own reconnect never recovers from that). The source refuses the
// new certificate until it is trusted, then values resume without a restart.
func TestNodeOPCUANewCertificate(t *testing.T) {
	p := startPeer(t)
	cfg := peerConfig(t, p.Endpoint)
	cfg.Security = Security{"Basic256Sha256", "SignAndEncrypt"}
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}}
	trustRejected := func() {
		t.Helper()
		dir := filepath.Join(cfg.StateDir, "pki", "rejected")
		testutil.WaitUntil(t, 30*time.Second, "certificate in rejected/", func() bool {
			e, _ := os.ReadDir(dir)
			return len(e) == 1
		})
		e, _ := os.ReadDir(dir)
		if err := os.Rename(filepath.Join(dir, e[0].Name()), filepath.Join(cfg.StateDir, "pki", "trusted", e[0].Name())); err != nil {
			t.Fatal(err)
		}
	}
	src, col, stop := collectSource(t, cfg)
	trustRejected()
	testutil.WaitUntil(t, 30*time.Second, "first values", func() bool { return col.count(0, "Plant.Counter") >= 3 })

	p.kill()
	p.pkiDir = t.TempDir() // a new server certificate
	p.start()
	trustRejected()
	mark := col.len()
	testutil.WaitUntil(t, 60*time.Second, "values after the new certificate is trusted", func() bool {
		return col.count(mark, "Plant.Counter") >= 3
	})
	if st := src.Status(); st.Reconnects != 1 {
		t.Fatalf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestNodeOPCUADeadband subscribes with a deadband: an absolute one is
// applied to numeric nodes only, and a percent one, which node-opcua
// refuses for variables without an EURange, is retried without the filter
// so the values still flow.
func TestNodeOPCUADeadband(t *testing.T) {
	p := sharedPeer(t)
	for _, db := range []Deadband{{"absolute", 0.01}, {"percent", 1}} {
		t.Run(db.Type, func(t *testing.T) {
			cfg := peerConfig(t, p.Endpoint)
			cfg.Deadband = db
			cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Counter")}, {ID: nsuID("Plant.State")}}
			src, col, stop := collectSource(t, cfg)
			testutil.WaitUntil(t, 30*time.Second, "values", func() bool {
				return col.count(0, "Plant.Counter") >= 3 && col.count(0, "Plant.State") >= 3
			})
			if st := src.Status(); st.FailedItems != 0 || st.State != StateConnected {
				t.Fatalf("status %+v", st)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// TestNodeOPCUABatching acquires 2,500 variables from a server whose
// OperationLimits allow 1,000 nodes per Read and 1,000 monitored items per
// call, and whose subscriptions take 1,000 monitored items: batches and
// subscriptions follow the server's limits, an override above the batch
// limit is halved until the server accepts it, and an override above the
// subscription limit fills each subscription until the server refuses
// more.
func TestNodeOPCUABatching(t *testing.T) {
	const count = 2500
	p := startPeer(t, fmt.Sprintf("COUNT=%d", count), "RATE_MS=1000", "MAX_ITEMS_PER_SUB=1000")
	var nodes []NodeConfig
	for i := range count {
		nodes = append(nodes, NodeConfig{ID: nsuID(fmt.Sprintf("Plant.Scale.Tag%05d", i))})
	}
	tests := []struct {
		name   string
		mode   string
		limits Limits
	}{
		{name: "subscribe with the server's limits", mode: ModeSubscribe},
		{name: "subscribe with an override the server refuses", mode: ModeSubscribe, limits: Limits{MaxMonitoredItemsPerCall: 5000}},
		{name: "subscribe with more items per subscription than the server takes", mode: ModeSubscribe,
			limits: Limits{MaxMonitoredItemsPerSubscription: 5000}},
		{name: "poll with an override the server refuses", mode: ModePoll, limits: Limits{MaxNodesPerRead: 5000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := peerConfig(t, p.Endpoint)
			cfg.Mode, cfg.Limits, cfg.Nodes = tt.mode, tt.limits, nodes
			cfg.PollInterval = time.Second
			src, err := NewSource(cfg, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			seen := make(map[string]bool)
			var col collector
			stop := runSource(t, src, col.emit)
			defer func() {
				if t.Failed() {
					t.Logf("values seen from %d of %d nodes", len(seen), count)
				}
			}()
			testutil.WaitUntil(t, 60*time.Second, "a value of every node", func() bool {
				col.mu.Lock()
				defer col.mu.Unlock()
				for _, s := range col.samples {
					seen[s.Node.ID] = true
				}
				col.samples = col.samples[:0]
				return len(seen) == count
			})
			st := src.Status()
			if st.Nodes != count || st.FailedItems != 0 {
				t.Fatalf("status %+v", st)
			}
			if tt.mode == ModeSubscribe && st.Subscriptions != 3 {
				t.Fatalf("%d subscriptions, want 3 of at most 1,000 items", st.Subscriptions)
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}
