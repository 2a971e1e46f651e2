package sim_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

func TestSimReadEveryType(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{})
	c := simtest.Connect(t, s.Endpoint())
	tests := []struct {
		node     string
		wantType ua.TypeID
		check    func(v any) bool
	}{
		{"Plant.Line1.Press.Temperature", ua.TypeIDDouble, nil},
		{"Plant.Line1.Press.Pressure", ua.TypeIDFloat, nil},
		{"Plant.Line1.Press.Speed", ua.TypeIDInt32, nil},
		{"Plant.Line1.Press.Running", ua.TypeIDBoolean, nil},
		{"Plant.Line1.Press.PartCounter", ua.TypeIDUint32, nil},
		{"Plant.Line2.Robot.TotalEnergy", ua.TypeIDUint64, func(v any) bool { return v.(uint64) >= sim.TotalEnergyBase }},
		{"Plant.Line1.Press.State", ua.TypeIDString, nil},
		{"Plant.Line1.Press.LastChange", ua.TypeIDDateTime, nil},
		{"Plant.Line2.Robot.AxisPositions", ua.TypeIDDouble, func(v any) bool { return len(v.([]float64)) == 6 }},
		{"Plant.Types.SByte", ua.TypeIDSByte, nil},
		{"Plant.Types.Byte", ua.TypeIDByte, nil},
		{"Plant.Types.Int16", ua.TypeIDInt16, nil},
		{"Plant.Types.UInt16", ua.TypeIDUint16, nil},
		{"Plant.Types.Int64", ua.TypeIDInt64, nil},
		{"Plant.Types.UInt64", ua.TypeIDUint64, nil},
		{"Plant.Types.Guid", ua.TypeIDGUID, nil},
		{"Plant.Types.ByteString", ua.TypeIDByteString, nil},
		{"Plant.Types.XmlElement", ua.TypeIDXMLElement, nil},
		{"Plant.Types.NodeId", ua.TypeIDNodeID, nil},
		{"Plant.Types.ExpandedNodeId", ua.TypeIDExpandedNodeID, nil},
		{"Plant.Types.StatusCode", ua.TypeIDStatusCode, nil},
		{"Plant.Types.QualifiedName", ua.TypeIDQualifiedName, nil},
		{"Plant.Types.LocalizedText", ua.TypeIDLocalizedText, nil},
		{"Plant.Types.Range", ua.TypeIDExtensionObject, func(v any) bool { _, ok := v.(*ua.ExtensionObject).Value.(*ua.Range); return ok }},
		{"Plant.Types.StringArray", ua.TypeIDString, func(v any) bool { return len(v.([]string)) == 2 }},
		{"Plant.Types.UInt64Array", ua.TypeIDUint64, nil},
		{"Plant.Types.Matrix", ua.TypeIDInt32, func(v any) bool { return len(v.([][]int32)) == 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			t.Parallel()
			resp, err := c.Read(context.Background(), &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{
				{NodeID: ua.NewStringNodeID(1, tt.node), AttributeID: ua.AttributeIDValue},
				{NodeID: ua.NewStringNodeID(1, tt.node), AttributeID: ua.AttributeIDDataType},
			}})
			if err != nil {
				t.Fatal(err)
			}
			dv := resp.Results[0]
			if dv.Status != ua.StatusOK || dv.Value == nil {
				t.Fatalf("read %s: status %v", tt.node, dv.Status)
			}
			if dv.Value.Type() != tt.wantType {
				t.Fatalf("read %s: type %v, want %v", tt.node, dv.Value.Type(), tt.wantType)
			}
			if tt.check != nil && !tt.check(dv.Value.Value()) {
				t.Fatalf("read %s: unexpected value %#v", tt.node, dv.Value.Value())
			}
			if dv.SourceTimestamp.IsZero() {
				t.Fatalf("read %s: no source timestamp", tt.node)
			}
			dt, ok := resp.Results[1].Value.Value().(*ua.NodeID)
			if !ok || dt.Namespace() != 0 {
				t.Fatalf("read %s: data type attribute %#v", tt.node, resp.Results[1].Value.Value())
			}
		})
	}
}

func TestSimNamespaceAndBrowse(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{ExtraTags: 3})
	c := simtest.Connect(t, s.Endpoint())
	ctx := context.Background()
	nsa, err := c.NamespaceArray(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nsa) < 2 || nsa[1] != sim.NamespaceURI {
		t.Fatalf("namespace array %v, want %s at index 1", nsa, sim.NamespaceURI)
	}
	names := func(n *gopcua.Node) map[string]bool {
		refs, err := n.References(ctx, id.HierarchicalReferences, ua.BrowseDirectionForward, ua.NodeClassAll, true)
		if err != nil {
			t.Fatalf("browse %s: %v", n.ID, err)
		}
		m := map[string]bool{}
		for _, r := range refs {
			m[r.BrowseName.Name] = true
		}
		return m
	}
	if got := names(c.Node(ua.NewNumericNodeID(0, id.ObjectsFolder))); !got["Plant"] {
		t.Fatalf("Objects has no Plant: %v", got)
	}
	got := names(c.Node(ua.NewStringNodeID(1, "Plant")))
	for _, want := range []string{"Line1", "Line2", "Types", "Scale"} {
		if !got[want] {
			t.Fatalf("Plant children %v miss %s", got, want)
		}
	}
	if got := names(c.Node(ua.NewStringNodeID(1, "Plant.Scale"))); len(got) != 3 || !got["Tag00002"] {
		t.Fatalf("Scale children %v, want Tag00000..Tag00002", got)
	}
}

func TestSimSubscriptionSeesChanges(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: 20 * time.Millisecond})
	c := simtest.Connect(t, s.Endpoint())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan *gopcua.PublishNotificationData, 64)
	sub, err := c.Subscribe(ctx, &gopcua.SubscriptionParameters{Interval: 20 * time.Millisecond}, ch)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Cancel(context.Background()) }()
	nodes := []string{"Plant.Line1.Press.PartCounter", "Plant.Types.UInt64", "Plant.Types.LocalizedText"}
	var reqs []*ua.MonitoredItemCreateRequest
	for i, n := range nodes {
		reqs = append(reqs, gopcua.NewMonitoredItemCreateRequestWithDefaults(ua.NewStringNodeID(1, n), ua.AttributeIDValue, uint32(i)))
	}
	if _, err := sub.Monitor(ctx, ua.TimestampsToReturnBoth, reqs...); err != nil {
		t.Fatal(err)
	}
	// Each node must be seen changing: two different values per handle.
	seen := map[uint32]map[string]bool{}
	deadline := time.After(20 * time.Second)
	for done := 0; done < len(nodes); {
		select {
		case <-deadline:
			t.Fatalf("no changes of every node: %v", seen)
		case msg := <-ch:
			if msg.Error != nil {
				t.Fatal(msg.Error)
			}
			dcn, ok := msg.Value.(*ua.DataChangeNotification)
			if !ok {
				continue
			}
			for _, it := range dcn.MonitoredItems {
				if seen[it.ClientHandle] == nil {
					seen[it.ClientHandle] = map[string]bool{}
				}
				key := it.Value.Value.String() + "|" + it.Value.SourceTimestamp.String()
				if len(seen[it.ClientHandle]) == 1 && !seen[it.ClientHandle][key] {
					done++
				}
				seen[it.ClientHandle][key] = true
			}
		}
	}
}

func TestSimSecureEndpoints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := simtest.Start(t, sim.Config{Security: true, CertDir: dir, Username: "op", Password: "secret"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	eps, err := gopcua.GetEndpoints(ctx, s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	offered := map[string]bool{}
	for _, ep := range eps {
		if ep.EndpointURL != s.Endpoint() {
			t.Fatalf("endpoint url %s, want %s", ep.EndpointURL, s.Endpoint())
		}
		offered[ep.SecurityPolicyURI+"|"+ep.SecurityMode.String()] = true
	}
	if len(offered) != 1+2*len(sim.SecurityPolicies) {
		t.Fatalf("offered %v", offered)
	}
	cert, key := clientCert(t)
	for _, policy := range sim.SecurityPolicies {
		for _, mode := range []ua.MessageSecurityMode{ua.MessageSecurityModeSign, ua.MessageSecurityModeSignAndEncrypt} {
			t.Run(policy+"/"+mode.String(), func(t *testing.T) {
				// Each handshake gets its own deadline: under -race on a
				// busy machine six of them can outlast a shared one.
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				ep, err := gopcua.SelectEndpoint(eps, policy, mode)
				if err != nil {
					t.Fatal(err)
				}
				c, err := gopcua.NewClient(s.Endpoint(),
					gopcua.SecurityPolicy(policy), gopcua.SecurityMode(mode),
					gopcua.Certificate(cert), gopcua.PrivateKey(key),
					gopcua.ApplicationURI("urn:edgetag:test"),
					gopcua.SecurityFromEndpoint(ep, ua.UserTokenTypeUserName),
					gopcua.AuthUsername("op", "secret"),
					gopcua.AutoReconnect(false))
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Connect(ctx); err != nil {
					t.Fatalf("connect: %v", err)
				}
				defer func() { _ = c.Close(context.Background()) }()
				v, err := c.Node(ua.NewStringNodeID(1, "Plant.Types.UInt64")).Value(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if v.Value().(uint64) < sim.TotalEnergyBase {
					t.Fatalf("value %v", v.Value())
				}
			})
		}
	}
	// The certificate is kept and reused.
	before, err := os.ReadFile(filepath.Join(dir, "sim-cert.der"))
	if err != nil {
		t.Fatal(err)
	}
	s2 := simtest.Start(t, sim.Config{Security: true, CertDir: dir})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	eps2, err := gopcua.GetEndpoints(ctx2, s2.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps2 {
		if ep.SecurityPolicyURI != ua.SecurityPolicyURINone && string(ep.ServerCertificate) != string(before) {
			t.Fatal("restarted simulator offers a different certificate")
		}
	}
}

func TestSimShutdownWithClientsConnected(t *testing.T) {
	t.Parallel()
	srv, err := sim.New(sim.Config{Listen: "127.0.0.1:0", Rate: 10 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	c := simtest.Connect(t, srv.Endpoint())
	if _, err := c.Node(ua.NewStringNodeID(1, "Plant.Types.Double")).Value(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	// The client's connection is gone with the server.
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	if _, err := c.Node(ua.NewStringNodeID(1, "Plant.Types.Double")).Value(rctx); err == nil {
		t.Fatal("read succeeded after the simulator stopped")
	}
}

func TestSimDropConnections(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{})
	c := simtest.Connect(t, s.Endpoint())
	if n := s.DropConnections(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Node(ua.NewStringNodeID(1, "Plant.Types.Double")).Value(ctx); err == nil {
		t.Fatal("read succeeded on a dropped connection")
	}
	// New sessions still work.
	c2 := simtest.Connect(t, s.Endpoint())
	if _, err := c2.Node(ua.NewStringNodeID(1, "Plant.Types.Double")).Value(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  sim.Config
	}{
		{name: "bad listen", cfg: sim.Config{Listen: "nohost"}},
		{name: "bad port", cfg: sim.Config{Listen: "127.0.0.1:99999"}},
		{name: "negative rate", cfg: sim.Config{Rate: -time.Second}},
		{name: "negative extra tags", cfg: sim.Config{ExtraTags: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := sim.New(tt.cfg, zerolog.Nop()); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// clientCert makes a client certificate whose URI SAN matches the
// application URI the test clients use.
func clientCert(t *testing.T) ([]byte, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("urn:edgetag:test")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, URIs: []*url.URL{u},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

// subscribe monitors the given scale tags and returns the notification
// channel.
func subscribe(t *testing.T, ctx context.Context, c *gopcua.Client, tags int) (*gopcua.Subscription, chan *gopcua.PublishNotificationData) {
	t.Helper()
	ch := make(chan *gopcua.PublishNotificationData, 256)
	sub, err := c.Subscribe(ctx, &gopcua.SubscriptionParameters{Interval: 20 * time.Millisecond}, ch)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 1000
	for lo := 0; lo < tags; lo += batch {
		var reqs []*ua.MonitoredItemCreateRequest
		for i := lo; i < min(lo+batch, tags); i++ {
			reqs = append(reqs, gopcua.NewMonitoredItemCreateRequestWithDefaults(
				ua.NewStringNodeID(1, fmt.Sprintf("Plant.Scale.Tag%05d", i)), ua.AttributeIDValue, uint32(i)))
		}
		if _, err := sub.Monitor(ctx, ua.TimestampsToReturnBoth, reqs...); err != nil {
			t.Fatal(err)
		}
	}
	return sub, ch
}

// handlesSeen drains ch until every handle below n was notified.
func handlesSeen(t *testing.T, ch chan *gopcua.PublishNotificationData, n int, timeout time.Duration) {
	t.Helper()
	seen := make(map[uint32]bool, n)
	deadline := time.After(timeout)
	for len(seen) < n {
		select {
		case <-deadline:
			t.Fatalf("saw %d of %d items change", len(seen), n)
		case msg := <-ch:
			if msg.Error != nil {
				t.Fatal(msg.Error)
			}
			if dcn, ok := msg.Value.(*ua.DataChangeNotification); ok {
				for _, it := range dcn.MonitoredItems {
					seen[it.ClientHandle] = true
				}
			}
		}
	}
}

// gopcua's own ChangeNotification deadlocks the server when a subscription
// ends while values change; the simulator's notifier must not.
// TestSimSurvivesDeletedSubscriptions is opt-in (EDGETAG_SIM_STRESS=1): it
// can deadlock gopcua v0.9.1's server itself. CreateMonitoredItems starts a
// goroutine per item that sends the initial value while holding the
// MonitoredItemService lock; when that send blocks, the server's
// CreateSubscription handler and the simulator's notifier wait on the lock
// forever. Seen once in two full -race runs of the suite.
func TestSimSurvivesDeletedSubscriptions(t *testing.T) {
	if os.Getenv("EDGETAG_SIM_STRESS") == "" {
		t.Skip("opt-in (EDGETAG_SIM_STRESS=1): can deadlock gopcua's server, see the comment")
	}
	t.Parallel()
	const tags = 300
	s := simtest.Start(t, sim.Config{ExtraTags: tags, Rate: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 3 {
		c := simtest.Connect(t, s.Endpoint())
		sub, ch := subscribe(t, ctx, c, tags)
		handlesSeen(t, ch, tags, 30*time.Second)
		if err := sub.Cancel(ctx); err != nil {
			t.Fatal(err)
		}
		s.DropConnections()
	}
	// Still serving: a new client reads and sees every change.
	c := simtest.Connect(t, s.Endpoint())
	_, ch := subscribe(t, ctx, c, tags)
	handlesSeen(t, ch, tags, 30*time.Second)
}

func TestSimScale10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10k items")
	}
	t.Parallel()
	const tags = 10000
	s := simtest.Start(t, sim.Config{ExtraTags: tags, Rate: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := simtest.Connect(t, s.Endpoint())
	_, ch := subscribe(t, ctx, c, tags)
	handlesSeen(t, ch, tags, time.Minute)
}

// setPublishingMode asks the server whether the subscriptions exist for
// c's session, as edgetag's source probes a quiet subscription.
func setPublishingMode(t *testing.T, c *gopcua.Client, ids ...uint32) []ua.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var res *ua.SetPublishingModeResponse
	err := c.Send(ctx, &ua.SetPublishingModeRequest{PublishingEnabled: true, SubscriptionIDs: ids}, func(v ua.Response) error {
		r, ok := v.(*ua.SetPublishingModeResponse)
		if !ok {
			return fmt.Errorf("unexpected response %T", v)
		}
		res = r
		return nil
	})
	if err != nil {
		t.Fatalf("SetPublishingMode %v: %v", ids, err)
	}
	if len(res.Results) != len(ids) {
		t.Fatalf("SetPublishingMode: %d results for %d ids", len(res.Results), len(ids))
	}
	return res.Results
}

// TestSimSubscriptionIDsNeverReused ends one subscription while another
// runs: the next subscription gets an id of its own (gopcua's numbering
// would give it the running one's, and that one's end would delete it),
// and SetPublishingMode tells each session which subscriptions it has.
func TestSimSubscriptionIDsNeverReused(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{ExtraTags: 3, Rate: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b, c := simtest.Connect(t, s.Endpoint()), simtest.Connect(t, s.Endpoint()), simtest.Connect(t, s.Endpoint())
	subA, _ := subscribe(t, ctx, a, 3)
	subB, _ := subscribe(t, ctx, b, 3)
	if err := subA.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	// gopcua deletes in the background: wait until A's is gone.
	simtest.WaitFor(t, 30*time.Second, "subscription A deleted", func() bool {
		return setPublishingMode(t, a, subA.SubscriptionID)[0] == ua.StatusBadSubscriptionIDInvalid
	})
	subC, chC := subscribe(t, ctx, c, 3)
	if subC.SubscriptionID == subB.SubscriptionID || subC.SubscriptionID == subA.SubscriptionID {
		t.Fatalf("subscription ids A %d, B %d, C %d: C reuses one", subA.SubscriptionID, subB.SubscriptionID, subC.SubscriptionID)
	}
	got := setPublishingMode(t, c, subC.SubscriptionID, subB.SubscriptionID, subA.SubscriptionID)
	want := []ua.StatusCode{ua.StatusOK, ua.StatusBadSubscriptionIDInvalid, ua.StatusBadSubscriptionIDInvalid}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("SetPublishingMode from C for C, B, A: %v, want %v", got, want)
	}
	// B's subscription ends; C's keeps delivering every item.
	if err := subB.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	simtest.WaitFor(t, 30*time.Second, "subscription B deleted", func() bool {
		return setPublishingMode(t, b, subB.SubscriptionID)[0] == ua.StatusBadSubscriptionIDInvalid
	})
	handlesSeen(t, chC, 3, 30*time.Second)
	if got := setPublishingMode(t, c, subC.SubscriptionID); got[0] != ua.StatusOK {
		t.Fatalf("C's subscription after B's ended: %v", got[0])
	}
}
