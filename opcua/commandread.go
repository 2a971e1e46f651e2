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
	// Structures whose definitions commands have not loaded (a node no
	// item uses) came without their bodies: load them and read those
	// nodes again.
	var again []int
	for k, dv := range dvs {
		if dv != nil && dv.Value != nil {
			if v, _ := Value(dv.Value); live.undecodedStruct(v) {
				again = append(again, k)
			}
		}
	}
	if len(again) > 0 {
		if err := live.loadStructsOf(rctx, ids, again, dvs); err != nil {
			return nil, requestErr(rctx, live, err, "read")
		}
	}
	for k, dv := range dvs {
		out[idx[k]] = live.readValue(nodes[idx[k]], dv)
	}
	return out, nil
}

// loadStructsOf loads the structure definitions of the nodes ids[k] for k
// in which and reads their values again into dvs. A node whose definition
// cannot be loaded keeps the value first read (a tag.ExtensionObject);
// the error is that of a failed request.
func (l *liveSession) loadStructsOf(ctx context.Context, ids []*ua.NodeID, which []int, dvs []*ua.DataValue) error {
	sub := make([]*ua.NodeID, len(which))
	for j, k := range which {
		sub[j] = ids[k]
	}
	metas, _, err := l.nodeMetas(ctx, sub)
	if err != nil {
		return err
	}
	loaded := false
	for _, m := range metas {
		if m == nil || m.DataType == nil || m.TypeName != "ExtensionObject" {
			continue
		}
		def, err := l.structFor(ctx, m.DataType)
		if err != nil {
			if l.lost.Err() != nil {
				return err
			}
			l.log.Debug().Err(err).Str("data_type_id", FormatNodeID(m.DataType)).Msg("structure definition for a read not loaded")
			continue
		}
		loaded = loaded || def != nil
	}
	if !loaded {
		return nil
	}
	fresh, err := l.readValues(ctx, sub)
	if err != nil {
		return err
	}
	for j, k := range which {
		dvs[k] = fresh[j]
	}
	return nil
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
