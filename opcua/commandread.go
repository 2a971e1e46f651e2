package opcua

import (
	"context"
	"time"

	"github.com/gopcua/opcua/ua"
)

// ReadValue is one value read on demand.
type ReadValue struct {
	Node string
	// Value is the value as Value converts it (nil when Err is set).
	Value    any
	DataType string
	// Status is the OPC UA status name of the value (Good, Uncertain...).
	Status     string
	SourceTime time.Time
	ServerTime time.Time
	Err        *CommandError
}

// Read reads the current value of every node through the source's session
// (no waiting for the next change). Per-node failures are in the results;
// the error is a *CommandError for the whole request (source_down,
// timeout). Node ids are in the standard string form, nsu= included.
func (s *Source) Read(ctx context.Context, nodes []string) ([]ReadValue, error) {
	live, release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rctx, cancel := live.requestCtx(ctx)
	defer cancel()
	out := make([]ReadValue, len(nodes))
	var ids []*ua.NodeID
	var idx []int
	for i, n := range nodes {
		out[i].Node = n
		id, cerr := live.parseNode(n)
		if cerr != nil {
			out[i].Err = cerr
			continue
		}
		ids = append(ids, id)
		idx = append(idx, i)
	}
	dvs, rerr := live.readValues(rctx, ids)
	if rerr != nil {
		return nil, requestErr(rctx, live, rerr, "read")
	}
	for k, dv := range dvs {
		out[idx[k]] = readValue(nodes[idx[k]], dv)
	}
	return out, nil
}

// readValue converts one read result.
func readValue(node string, dv *ua.DataValue) ReadValue {
	rv := ReadValue{Node: node}
	if dv == nil {
		rv.Err = cmdErr(CodeBadStatus, "node %s: no result", node)
		return rv
	}
	if dv.Status != ua.StatusOK && dv.Status&0xC0000000 == 0x80000000 {
		rv.Err = statusErr(dv.Status, "node "+node)
		return rv
	}
	rv.Status = "Good"
	if dv.Status != ua.StatusOK {
		rv.Status = StatusName(uint32(dv.Status))
	}
	if dv.Value != nil {
		rv.Value, rv.DataType = Value(dv.Value)
	}
	rv.SourceTime, rv.ServerTime = dv.SourceTimestamp, dv.ServerTimestamp
	return rv
}
