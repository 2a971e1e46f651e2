package opcua

import (
	"context"
	"encoding/json"

	"github.com/gopcua/opcua/ua"
)

// WriteItem is one value to write: a node id in the standard string form
// (nsu= included) and a JSON value converted by JSONToVariant.
type WriteItem struct {
	Node  string
	Value json.RawMessage
}

// WriteOptions change how Write works.
type WriteOptions struct {
	// Verify reads every node before (the old value) and after the write
	// and compares the value read back with the value written; a
	// difference is CodeVerifyFailed.
	Verify bool
}

// WriteResult is the outcome of one WriteItem.
type WriteResult struct {
	Node string
	// DataType is the node's built-in type the value was converted to;
	// for a structured node, the structure's name.
	DataType string
	// Written is the value sent, as Value converts it (a structure as
	// its decoded tag.Object; nil when the item failed before the write).
	Written any
	// Old and ReadBack are the values read before and after the write
	// (Verify only).
	Old      *ReadValue
	ReadBack *ReadValue
	Err      *CommandError
}

// Write writes every item through the source's session: the values are
// converted to each node's DataType and ValueRank (read from the server
// and cached per session), so no value is rounded or wrapped; items are
// sent in Write requests of at most the server's MaxNodesPerWrite.
// Per-item failures are in the results (a failed item does not stop the
// others); the error is a *CommandError for the request as a whole:
// source_down without an active session (at once, without waiting for a
// reconnect) or when the session is lost during the write, timeout when
// ctx ends.
func (s *Source) Write(ctx context.Context, items []WriteItem, opt WriteOptions) ([]WriteResult, error) {
	live, release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rctx, cancel := live.requestCtx(ctx)
	defer cancel()

	out := make([]WriteResult, len(items))
	ids := make([]*ua.NodeID, 0, len(items))
	idx := make([]int, 0, len(items))
	for i, it := range items {
		out[i].Node = it.Node
		id, cerr := live.parseNode(it.Node)
		if cerr != nil {
			out[i].Err = cerr
			continue
		}
		ids = append(ids, id)
		idx = append(idx, i)
	}
	metas, merrs, merr := live.nodeMetas(rctx, ids)
	if merr != nil {
		return nil, requestErr(rctx, live, merr, "read node attributes")
	}
	// Convert: what is left goes to the server.
	var send []*ua.WriteValue
	var sendIdx []int
	var sendIDs []*ua.NodeID
	written := make([]*structWrite, len(items)) // structured items by index
	for k, i := range idx {
		r := &out[i]
		if merrs[k] != nil {
			r.Err = merrs[k]
			continue
		}
		m := metas[k]
		r.DataType = m.TypeName
		if m.UserAccess&byte(ua.AccessLevelTypeCurrentWrite) == 0 {
			r.Err = &CommandError{Code: CodeBadStatus, Status: StatusName(uint32(ua.StatusBadNotWritable)),
				Msg: "node " + items[i].Node + " is not writable for this session (UserAccessLevel)"}
			continue
		}
		var v *ua.Variant
		var cerr *CommandError
		if m.TypeName == "ExtensionObject" && m.DataType != nil {
			var sw *structWrite
			sw, cerr = live.structValue(rctx, items[i].Value, m)
			if sw != nil {
				v, r.Written, r.DataType = sw.variant, sw.written, sw.def.Name
				written[i] = sw
			}
		} else {
			v, cerr = JSONToVariant(items[i].Value, m.TypeName, m.ValueRank, live.namespaces)
			if cerr == nil {
				r.Written, _ = Value(v)
			}
		}
		if cerr != nil {
			if live.lost.Err() != nil {
				return nil, ErrSourceDown
			}
			cerr.Msg = "node " + items[i].Node + ": " + cerr.Msg
			r.Err = cerr
			continue
		}
		send = append(send, &ua.WriteValue{NodeID: ids[k], AttributeID: ua.AttributeIDValue,
			Value: &ua.DataValue{EncodingMask: ua.DataValueValue, Value: v}})
		sendIdx = append(sendIdx, i)
		sendIDs = append(sendIDs, ids[k])
	}
	if len(send) == 0 {
		return out, nil
	}
	if opt.Verify {
		dvs, err := live.readValues(rctx, sendIDs)
		if err != nil {
			return nil, requestErr(rctx, live, err, "read old values")
		}
		for k, dv := range dvs {
			old := live.readValue(items[sendIdx[k]].Node, dv)
			out[sendIdx[k]].Old = &old
		}
	}
	writeBatch, _ := live.commandLimits(rctx)
	err = batches(len(send), writeBatch, func(lo, hi int) error {
		res, err := live.c.Write(rctx, &ua.WriteRequest{NodesToWrite: send[lo:hi]})
		if err != nil {
			return err
		}
		for k := lo; k < hi; k++ {
			st := ua.StatusBad
			if k-lo < len(res.Results) {
				st = res.Results[k-lo]
			}
			if st != ua.StatusOK {
				out[sendIdx[k]].Err = statusErr(st, "node "+items[sendIdx[k]].Node)
			}
		}
		return nil
	})
	if err != nil {
		return nil, requestErr(rctx, live, err, "write")
	}
	if !opt.Verify {
		return out, nil
	}
	var backIDs []*ua.NodeID
	var backK []int
	for k := range send {
		if out[sendIdx[k]].Err == nil {
			backIDs = append(backIDs, sendIDs[k])
			backK = append(backK, k)
		}
	}
	dvs, err := live.readValues(rctx, backIDs)
	if err != nil {
		return nil, requestErr(rctx, live, err, "read back")
	}
	for j, dv := range dvs {
		k := backK[j]
		r := &out[sendIdx[k]]
		back := live.readValue(r.Node, dv)
		r.ReadBack = &back
		if back.Err != nil {
			r.Err = &CommandError{Code: CodeVerifyFailed, Status: back.Err.Status, Msg: "reading back failed: " + back.Err.Msg}
			continue
		}
		if sw := written[sendIdx[k]]; sw != nil && decodedStruct(back.Value) {
			if d := diffValues(sw.written, back.Value, "$"); d != "" {
				r.Err = cmdErr(CodeVerifyFailed, "node %s: the value read back differs from the one written at %s", r.Node, d)
			}
			continue
		}
		if !sameValue(send[k].Value.Value, dv.Value) {
			r.Err = cmdErr(CodeVerifyFailed, "node %s: read back %v, wrote %v", r.Node, back.Value, r.Written)
		}
	}
	return out, nil
}
