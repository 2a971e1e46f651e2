package opcua

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/internal/testutil"
)

// TestNodeOPCUABrowseContinuationPointLimit runs a source with the default
// browse and batch settings against node-opcua configured with 5 browse
// continuation points per session (announced and enforced; once a session
// holds 5, node-opcua refuses every node of a Browse, not only those that
// need a point) and 20 folders of 1,000 variables: every variable is
// subscribed and delivers its value, and the source is connected.
func TestNodeOPCUABrowseContinuationPointLimit(t *testing.T) {
	const folders, perFolder = 20, 1000
	p := startPeer(t, "COUNT=20000", "FOLDERS=20", "MAX_BROWSE_CP=5", "RATE_MS=5000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, peerConfig(t, p.Endpoint), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	_, limits, err := readServerInfo(ctx, c)
	if err != nil || limits.BrowseContinuationPoints != 5 {
		t.Fatalf("server limits %+v, %v: want 5 browse continuation points", limits, err)
	}
	// node-opcua enforces the limit: of 20 folders that each need a point,
	// 15 are refused.
	req := &ua.BrowseRequest{View: &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)}, RequestedMaxReferencesPerNode: 10}
	for i := range folders {
		nid, err := ParseNodeID(nsuID(fmt.Sprintf("Plant.Scale.Group%03d", i)), c.Namespaces())
		if err != nil {
			t.Fatal(err)
		}
		req.NodesToBrowse = append(req.NodesToBrowse, &ua.BrowseDescription{NodeID: nid, BrowseDirection: ua.BrowseDirectionForward,
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HierarchicalReferences), IncludeSubtypes: true, ResultMask: uint32(ua.BrowseResultMaskAll)})
	}
	resp, err := c.Browse(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, r := range resp.Results {
		if r.StatusCode == ua.StatusBadNoContinuationPoints {
			refused++
		}
	}
	closeClient(c, 5*time.Second)
	if refused != folders-5 {
		t.Fatalf("node-opcua refused %d of %d folders, want %d", refused, folders, folders-5)
	}

	cfg := peerConfig(t, p.Endpoint)
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Scale")}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var got nodeSet
	stop := runSource(t, src, got.emit)
	testutil.WaitUntil(t, 5*time.Minute, "a value of every variable", func() bool {
		return got.count(";s=Plant.Scale.Tag") == folders*perFolder
	})
	if st := src.Status(); st.State != StateConnected || st.Nodes != folders*perFolder || st.FailedItems != 0 || st.PendingBrowse != 0 {
		t.Errorf("status %+v, want connected with %d nodes, none failed or pending", st, folders*perFolder)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
