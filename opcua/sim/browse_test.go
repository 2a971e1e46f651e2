package sim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
)

// browseGroups browses the first n scale groups in one request, 100
// references per node, so every node (1,000 references) needs a
// continuation point.
func browseGroups(ctx context.Context, t *testing.T, c interface {
	Browse(context.Context, *ua.BrowseRequest) (*ua.BrowseResponse, error)
}, n int) *ua.BrowseResponse {
	t.Helper()
	req := &ua.BrowseRequest{
		View:                          &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)},
		RequestedMaxReferencesPerNode: 100,
	}
	for i := range n {
		req.NodesToBrowse = append(req.NodesToBrowse, &ua.BrowseDescription{
			NodeID:          ua.NewStringNodeID(1, fmt.Sprintf("Plant.Scale.Group%03d", i)),
			BrowseDirection: ua.BrowseDirectionForward,
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HierarchicalReferences),
			IncludeSubtypes: true,
			ResultMask:      uint32(ua.BrowseResultMaskAll),
		})
	}
	resp, err := c.Browse(ctx, req)
	if err != nil {
		t.Fatalf("browse: %v", err)
	}
	return resp
}

func TestSimBrowseContinuationPointLimit(t *testing.T) {
	t.Parallel()
	for _, hidden := range []bool{false, true} {
		t.Run(fmt.Sprintf("hidden=%v", hidden), func(t *testing.T) {
			t.Parallel()
			s := simtest.Start(t, sim.Config{ExtraTags: 6000, BrowseContinuationPoints: 3, HideBrowseLimit: hidden})
			c := simtest.Connect(t, s.Endpoint())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			// The announced limit.
			rr, err := c.Read(ctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{{
				NodeID: ua.NewNumericNodeID(0, id.Server_ServerCapabilities_MaxBrowseContinuationPoints), AttributeID: ua.AttributeIDValue,
			}}})
			if err != nil {
				t.Fatalf("read MaxBrowseContinuationPoints: %v", err)
			}
			want := uint16(3)
			if hidden {
				want = 0
			}
			if got, _ := rr.Results[0].Value.Value().(uint16); rr.Results[0].Status != ua.StatusOK || got != want {
				t.Errorf("MaxBrowseContinuationPoints = %v (%v), want %d", rr.Results[0].Value.Value(), rr.Results[0].Status, want)
			}

			// Five nodes that each need a point: three get one, two are refused.
			resp := browseGroups(ctx, t, c, 5)
			var cps [][]byte
			for i, r := range resp.Results {
				switch {
				case i < 3 && (r.StatusCode != ua.StatusOK || len(r.ContinuationPoint) == 0 || len(r.References) != 100):
					t.Errorf("node %d: status %v, %d references, continuation point %x; want Good, 100, one", i, r.StatusCode, len(r.References), r.ContinuationPoint)
				case i >= 3 && (r.StatusCode != ua.StatusBadNoContinuationPoints || len(r.References) != 0):
					t.Errorf("node %d: status %v, %d references; want BadNoContinuationPoints, none", i, r.StatusCode, len(r.References))
				}
				if len(r.ContinuationPoint) > 0 {
					cps = append(cps, r.ContinuationPoint)
				}
			}
			if got := s.BrowseRefused(); got != 2 {
				t.Errorf("BrowseRefused = %d, want 2", got)
			}
			if got := s.BrowseContinuationPointsHeld(); got != 3 {
				t.Errorf("held = %d, want 3", got)
			}

			// Paging the first to its end returns every reference once.
			names := map[string]bool{}
			for _, r := range resp.Results[0].References {
				names[r.BrowseName.Name] = true
			}
			cp := cps[0]
			for pages := 0; len(cp) > 0; pages++ {
				if pages > 100 {
					t.Fatal("paging does not end")
				}
				next, err := c.BrowseNext(ctx, &ua.BrowseNextRequest{ContinuationPoints: [][]byte{cp}})
				if err != nil {
					t.Fatalf("browse next: %v", err)
				}
				if st := next.Results[0].StatusCode; st != ua.StatusOK {
					t.Fatalf("browse next: %v", st)
				}
				for _, r := range next.Results[0].References {
					names[r.BrowseName.Name] = true
				}
				cp = next.Results[0].ContinuationPoint
			}
			// 1,000 tags and the folder's type definition are not
			// hierarchical: the tags only.
			if len(names) != 1000 {
				t.Errorf("paged %d distinct references, want 1000", len(names))
			}
			// The used-up point is gone; releasing the other two frees the session.
			next, err := c.BrowseNext(ctx, &ua.BrowseNextRequest{ReleaseContinuationPoints: true, ContinuationPoints: cps})
			if err != nil {
				t.Fatalf("release: %v", err)
			}
			if st := next.Results[0].StatusCode; st != ua.StatusBadContinuationPointInvalid {
				t.Errorf("release of a finished point: %v, want BadContinuationPointInvalid", st)
			}
			if got := s.BrowseContinuationPointsHeld(); got != 0 {
				t.Errorf("held after release = %d, want 0", got)
			}
			resp = browseGroups(ctx, t, c, 3)
			for i, r := range resp.Results {
				if r.StatusCode != ua.StatusOK || len(r.ContinuationPoint) == 0 {
					t.Errorf("after release, node %d: %v", i, r.StatusCode)
				}
			}
		})
	}
}

// TestServerObjectHasStandardNamesAndTypes browses the Server object's
// status: its variables carry the standard's browse names, data types and
// access levels (gopcua leaves them without types and misnames two).
func TestServerObjectHasStandardNamesAndTypes(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Config{Rate: time.Hour})
	c := simtest.Connect(t, s.Endpoint())
	ctx := context.Background()
	resp, err := c.Browse(ctx, &ua.BrowseRequest{NodesToBrowse: []*ua.BrowseDescription{{
		NodeID: ua.NewNumericNodeID(0, id.Server_ServerStatus), BrowseDirection: ua.BrowseDirectionForward,
		ReferenceTypeID: ua.NewNumericNodeID(0, id.HierarchicalReferences), IncludeSubtypes: true, ResultMask: uint32(ua.BrowseResultMaskAll),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[uint32]string{}
	for _, r := range resp.Results[0].References {
		names[r.NodeID.NodeID.IntID()] = r.BrowseName.Name
	}
	for nid, want := range map[uint32]string{
		id.Server_ServerStatus_State:                      "State",
		id.Server_ServerStatus_BuildInfo_ManufacturerName: "ManufacturerName",
		id.Server_ServerStatus_CurrentTime:                "CurrentTime",
	} {
		if names[nid] != want {
			t.Errorf("i=%d is browsed as %q, want %q (all: %v)", nid, names[nid], want, names)
		}
	}
	read, err := c.Read(ctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{
		{NodeID: ua.NewNumericNodeID(0, id.Server_ServerStatus_State), AttributeID: ua.AttributeIDDataType},
		{NodeID: ua.NewNumericNodeID(0, id.Server_ServerStatus_State), AttributeID: ua.AttributeIDAccessLevel},
		{NodeID: ua.NewNumericNodeID(0, id.Server_NamespaceArray), AttributeID: ua.AttributeIDValueRank},
		{NodeID: ua.NewNumericNodeID(0, id.Server_NamespaceArray), AttributeID: ua.AttributeIDValue},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if dt, ok := read.Results[0].Value.Value().(*ua.NodeID); !ok || dt.IntID() != id.ServerState {
		t.Errorf("State's data type: %v, want ServerState (i=%d)", read.Results[0].Value.Value(), id.ServerState)
	}
	if al, ok := read.Results[1].Value.Value().(uint8); !ok || al&uint8(ua.AccessLevelTypeCurrentRead) == 0 {
		t.Errorf("State's access level: %v, want readable", read.Results[1].Value.Value())
	}
	if vr, ok := read.Results[2].Value.Value().(int32); !ok || vr != 1 {
		t.Errorf("NamespaceArray's value rank: %v, want 1", read.Results[2].Value.Value())
	}
	if nsa, ok := read.Results[3].Value.Value().([]string); !ok || len(nsa) < 2 || nsa[1] != sim.NamespaceURI {
		t.Errorf("NamespaceArray: %v, want the simulator's namespace second", read.Results[3].Value.Value())
	}
}
