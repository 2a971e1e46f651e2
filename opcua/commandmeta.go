package opcua

import (
	"context"
	"fmt"

	"github.com/gopcua/opcua/ua"
)

// nodeMetas returns the metadata of every node (nil where errs holds the
// reason), reading what the session has not cached yet: DataType,
// ValueRank and UserAccessLevel, the data type resolved to a built-in type
// through HasSubtype where needed. An error is returned only when the
// request as a whole failed.
func (l *liveSession) nodeMetas(ctx context.Context, ids []*ua.NodeID) ([]*nodeMeta, []*CommandError, error) {
	metas := make([]*nodeMeta, len(ids))
	errs := make([]*CommandError, len(ids))
	var todo []int
	l.mu.Lock()
	for i, n := range ids {
		if m, ok := l.nodes[n.String()]; ok {
			metas[i] = m
		} else {
			todo = append(todo, i)
		}
	}
	l.mu.Unlock()
	if len(todo) == 0 {
		return metas, errs, nil
	}
	const attrs = 3
	per := max(1, l.readBatch/attrs)
	var dataTypes []*ua.NodeID
	err := batches(len(todo), per, func(lo, hi int) error {
		req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnNeither}
		for _, i := range todo[lo:hi] {
			req.NodesToRead = append(req.NodesToRead,
				&ua.ReadValueID{NodeID: ids[i], AttributeID: ua.AttributeIDDataType},
				&ua.ReadValueID{NodeID: ids[i], AttributeID: ua.AttributeIDValueRank},
				&ua.ReadValueID{NodeID: ids[i], AttributeID: ua.AttributeIDUserAccessLevel})
		}
		res, err := l.c.Read(ctx, req)
		if err != nil {
			return err
		}
		if len(res.Results) != attrs*(hi-lo) {
			return fmt.Errorf("read node attributes: %d results for %d attributes", len(res.Results), attrs*(hi-lo))
		}
		for k, i := range todo[lo:hi] {
			dt, rank, access := res.Results[attrs*k], res.Results[attrs*k+1], res.Results[attrs*k+2]
			what := "node " + FormatNodeID(ids[i])
			if dt == nil || dt.Status != ua.StatusOK {
				st := ua.StatusBad
				if dt != nil {
					st = dt.Status
				}
				if st == ua.StatusBadAttributeIDInvalid {
					errs[i] = &CommandError{Code: CodeInvalidRequest, Status: StatusName(uint32(st)), Msg: what + " is not a variable"}
				} else {
					errs[i] = statusErr(st, what)
				}
				continue
			}
			m := &nodeMeta{ValueRank: -1, UserAccess: byte(ua.AccessLevelTypeCurrentRead | ua.AccessLevelTypeCurrentWrite)}
			switch t := dt.Value.Value().(type) {
			case *ua.NodeID:
				m.DataType = t
			case *ua.ExpandedNodeID:
				if t != nil && t.NodeID != nil {
					m.DataType = ua.NewNodeIDFromExpandedNodeID(t)
				}
			}
			if rank != nil && rank.Status == ua.StatusOK && rank.Value != nil {
				if r, ok := rank.Value.Value().(int32); ok {
					m.ValueRank = r
				}
			}
			// A server without UserAccessLevel leaves the decision to the
			// write itself.
			if access != nil && access.Status == ua.StatusOK && access.Value != nil {
				if a, ok := access.Value.Value().(uint8); ok {
					m.UserAccess = a
				}
			}
			metas[i] = m
			if m.DataType != nil {
				dataTypes = append(dataTypes, m.DataType)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	names := l.typeNamesOf(ctx, dataTypes)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, i := range todo {
		if m := metas[i]; m != nil {
			if m.DataType != nil {
				m.TypeName = names[FormatNodeID(m.DataType)]
			}
			if len(l.nodes) < maxCachedNodes {
				l.nodes[ids[i].String()] = m
			}
		}
	}
	return metas, errs, nil
}

// typeNamesOf resolves data type ids to built-in type names, cached per
// session.
func (l *liveSession) typeNamesOf(ctx context.Context, dts []*ua.NodeID) map[string]string {
	out := map[string]string{}
	var todo []*ua.NodeID
	l.mu.Lock()
	for _, dt := range dts {
		k := FormatNodeID(dt)
		if name, ok := l.typeNames[k]; ok {
			out[k] = name
		} else {
			todo = append(todo, dt)
		}
	}
	l.mu.Unlock()
	if len(todo) == 0 {
		return out
	}
	b := &browser{c: l.c, log: l.log}
	resolved := b.resolveDataTypes(ctx, todo)
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, name := range resolved {
		out[k] = name
		if name != "" && len(l.typeNames) < maxCachedNodes {
			l.typeNames[k] = name
		}
	}
	return out
}

// readValues reads the Value attribute of ids in batches of the session's
// read limit.
func (l *liveSession) readValues(ctx context.Context, ids []*ua.NodeID) ([]*ua.DataValue, error) {
	out := make([]*ua.DataValue, 0, len(ids))
	err := batches(len(ids), l.readBatch, func(lo, hi int) error {
		req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnBoth}
		for _, n := range ids[lo:hi] {
			req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: n, AttributeID: ua.AttributeIDValue})
		}
		res, err := l.c.Read(ctx, req)
		if err != nil {
			return err
		}
		if len(res.Results) != hi-lo {
			return fmt.Errorf("read: %d results for %d nodes", len(res.Results), hi-lo)
		}
		out = append(out, res.Results...)
		return nil
	})
	return out, err
}
