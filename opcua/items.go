package opcua

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// item is one variable being acquired. Its index in session.items is the
// monitored item's client handle. Items are held by value in one slice, 24
// bytes each; see keepNodeID for when the node id object is kept.
type item struct {
	node *tag.Node
	// id is the node id as browsed or configured, nil when ParseNodeID of
	// node.ID returns an identical id.
	id     *ua.NodeID
	status ua.StatusCode
	// numeric is set for a node whose data type takes a deadband filter.
	numeric bool
	// noFilter is set once the server refused a deadband filter for it.
	noFilter bool
	// failed is set while the item is not acquired (bad node id, unknown
	// node, refused monitored item); it is retried every RetryFailedItems.
	failed bool
}

// nodeID returns the node id of item h for a request.
func (ss *session) nodeID(h int) *ua.NodeID {
	it := &ss.items[h]
	if it.id != nil {
		return it.id
	}
	// keepNodeID made sure that this parses to the original id.
	id, _ := ParseNodeID(it.node.ID, nil)
	return id
}

// keepNodeID returns what an item keeps of its node id, given node.ID
// (formatted). A *ua.NodeID costs about 70 bytes with its identifier, and
// subscribe mode needs it only to create the monitored item (and for the
// read after a reconnect), so it is dropped when ParseNodeID(formatted)
// encodes exactly like id: nodeID makes it again. It is kept when it does
// not come back the same (a numeric id in a longer encoding than needed,
// a string identifier with outer spaces) and in poll mode, which reads
// every item every interval.
func keepNodeID(id *ua.NodeID, formatted string, poll bool) *ua.NodeID {
	if poll || id == nil {
		return id
	}
	parsed, err := ParseNodeID(formatted, nil)
	if err != nil {
		return id
	}
	a, aerr := id.Encode()
	b, berr := parsed.Encode()
	if aerr != nil || berr != nil || !bytes.Equal(a, b) {
		return id
	}
	return nil
}

// numericTypes are the built-in types a deadband filter applies to.
var numericTypes = map[string]bool{
	"SByte": true, "Byte": true, "Int16": true, "UInt16": true, "Int32": true,
	"UInt32": true, "Int64": true, "UInt64": true, "Float": true, "Double": true,
}

// itemFailure reports whether a per-node status means the node itself is
// wrong (so it is counted as failed and retried) rather than a value of bad
// quality (which is delivered with its status).
func itemFailure(st ua.StatusCode) bool {
	switch st {
	case ua.StatusBadNodeIDUnknown, ua.StatusBadNodeIDInvalid, ua.StatusBadAttributeIDInvalid,
		ua.StatusBadNotReadable, ua.StatusBadUserAccessDenied, ua.StatusBadIndexRangeInvalid,
		ua.StatusBadDataEncodingInvalid, ua.StatusBadDataEncodingUnsupported,
		ua.StatusBadMonitoredItemIDInvalid, ua.StatusBadNotSupported, ua.StatusBadTooManyMonitoredItems:
		return true
	}
	return false
}

// resolveRoots resolves the configured roots at the given indexes of
// cfg.Nodes and adds their variables to the item table. The roots are
// parsed, then their NodeClass, BrowseName and DataType are read in
// batches: a variable is taken as it is (so a list of 10,000 explicit
// variables costs a few Read requests), an object or folder is browsed
// recursively. It returns the indexes of the new items and the roots that
// failed (invalid id, unknown node, browse error): each is logged with its
// id and status and retried later. Variables already in the table are not
// added twice.
func (ss *session) resolveRoots(ctx context.Context, roots []int) (added []int, failed []int, err error) {
	cfg := &ss.src.cfg
	type root struct {
		idx int
		id  *ua.NodeID
	}
	parsed := make([]root, 0, len(roots))
	for _, ri := range roots {
		id, perr := ParseNodeID(cfg.Nodes[ri].ID, ss.namespaces)
		if perr != nil {
			ss.rootEvent(ri, "invalid: "+perr.Error()).Str("node", cfg.Nodes[ri].ID).Err(perr).Msg("node id invalid; retrying later")
			failed = append(failed, ri)
			continue
		}
		parsed = append(parsed, root{ri, id})
	}

	ids := make([]*ua.NodeID, len(parsed))
	for i, r := range parsed {
		ids[i] = r.id
	}
	attrs, err := ss.readRootAttributes(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var vars []Variable
	for i, r := range parsed {
		nc := cfg.Nodes[r.idx]
		a := attrs[i]
		if a.status != ua.StatusOK {
			ss.rootEvent(r.idx, "read: "+a.status.Error()).Str("node", nc.ID).Str("status", a.status.Error()).Msg("node cannot be read; retrying later")
			failed = append(failed, r.idx)
			continue
		}
		if a.class == ua.NodeClassVariable {
			delete(ss.src.rootWarned, r.idx)
			v := Variable{ID: r.id, BrowseName: a.browseName, DataType: a.dataType}
			if nc.Name != "" {
				v.Path, v.Name = splitName(nc.Name)
			}
			vars = append(vars, v)
			continue
		}
		if nc.Name != "" {
			ss.log.Warn().Str("node", nc.ID).Str("name", nc.Name).
				Msg("node is a folder or object, so it is browsed and its name is not used; name applies to variables")
		}
		bctx, stop := ss.sessionCtx(ctx)
		vs, pending, berr := ss.browseRoot(bctx, r.idx, r.id)
		stop()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if err := ss.lostErr(); err != nil {
			return nil, nil, err
		}
		if berr != nil {
			if aerr := ss.alive(ctx); aerr != nil {
				return nil, nil, fmt.Errorf("browse %s: %w (%w)", nc.ID, berr, aerr)
			}
			ss.rootEvent(r.idx, "browse: "+berr.Error()).Str("node", nc.ID).Err(berr).Msg("node cannot be browsed; retrying later")
			failed = append(failed, r.idx)
			continue
		}
		if len(vs) == 0 {
			ss.rootEvent(r.idx, "empty").Str("node", nc.ID).Msg("no variables below node; retrying later")
			failed = append(failed, r.idx)
			continue
		}
		delete(ss.src.rootWarned, r.idx)
		vars = append(vars, withRootName(vs, a.browseName)...)
		ss.pendingBrowse = append(ss.pendingBrowse, withRootNamePending(pending, a.browseName)...)
	}
	added, err = ss.addVariables(vars)
	if err != nil {
		return nil, nil, err
	}
	if len(failed) == 0 && len(ss.pendingBrowse) == 0 {
		// Only a later resolve of failed roots or pending nodes needs the
		// index; it is rebuilt then. At 100,000 nodes it holds several
		// megabytes.
		ss.byID = nil
	}
	return added, failed, nil
}

// addVariables names vars and adds those not in the item table yet,
// returning their handles.
func (ss *session) addVariables(vars []Variable) (added []int, err error) {
	if len(vars) == 0 {
		return nil, nil
	}
	nodes, renames := nameNodes(ss.src.info, vars)
	logRenames(ss.log, renames)
	cfg := &ss.src.cfg
	if len(nodes) != len(vars) {
		return nil, &FatalError{Err: fmt.Errorf("name nodes: got %d nodes for %d variables", len(nodes), len(vars))}
	}
	if ss.byID == nil {
		ss.byID = make(map[string]int, len(ss.items)+len(nodes))
		for h := range ss.items {
			ss.byID[ss.items[h].node.ID] = h
		}
	}
	ss.items = slices.Grow(ss.items, len(nodes))
	poll := cfg.Mode == ModePoll
	for i, n := range nodes {
		key := n.ID
		if _, dup := ss.byID[key]; dup {
			continue
		}
		ss.byID[key] = len(ss.items)
		added = append(added, len(ss.items))
		ss.items = append(ss.items, item{
			node:    n,
			id:      keepNodeID(vars[i].ID, n.ID, poll),
			numeric: numericTypes[vars[i].DataType],
		})
	}
	return added, nil
}

// rootAttributes are read for every configured root.
var rootAttributes = []ua.AttributeID{ua.AttributeIDNodeClass, ua.AttributeIDBrowseName, ua.AttributeIDDataType}

// rootAttrs is what resolveRoots learns about one root.
type rootAttrs struct {
	status     ua.StatusCode // of the NodeClass read: Bad means the node is wrong
	class      ua.NodeClass
	browseName string
	dataType   string // built-in type name (DataTypeName), "" when not known
}

// readRootAttributes reads NodeClass, BrowseName and DataType of ids (in
// batches sized by the read limit). A failed request is returned as an
// error (the session ends); a bad status per node is reported in its
// rootAttrs.
func (ss *session) readRootAttributes(ctx context.Context, ids []*ua.NodeID) ([]rootAttrs, error) {
	nodes := make([]*ua.ReadValueID, 0, len(ids)*len(rootAttributes))
	for _, id := range ids {
		for _, a := range rootAttributes {
			nodes = append(nodes, &ua.ReadValueID{NodeID: id, AttributeID: a})
		}
	}
	results := make([]*ua.DataValue, len(nodes))
	batch := func(lo, hi int) []*ua.ReadValueID { return nodes[lo:hi] }
	err := ss.readBatched(ctx, len(nodes), batch, ua.TimestampsToReturnNeither, func(lo int, res []*ua.DataValue) error {
		copy(results[lo:], res)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read attributes of %d nodes: %w", len(ids), err)
	}
	out := make([]rootAttrs, len(ids))
	for i := range ids {
		r := results[i*len(rootAttributes):]
		a := &out[i]
		if r[0] == nil {
			a.status = ua.StatusBadNodeClassInvalid
			continue
		}
		a.status = r[0].Status
		if a.status == ua.StatusOK && r[0].Value == nil {
			a.status = ua.StatusBadNodeClassInvalid
		}
		if a.status != ua.StatusOK {
			continue
		}
		switch v := r[0].Value.Value().(type) {
		case int32:
			a.class = ua.NodeClass(v)
		case uint32:
			a.class = ua.NodeClass(v)
		}
		if r[1] != nil && r[1].Status == ua.StatusOK && r[1].Value != nil {
			if qn, ok := r[1].Value.Value().(*ua.QualifiedName); ok && qn != nil {
				a.browseName = qn.Name
			}
		}
		if r[2] != nil && r[2].Status == ua.StatusOK && r[2].Value != nil {
			if dt, ok := r[2].Value.Value().(*ua.NodeID); ok && dt != nil {
				a.dataType = DataTypeName(dt)
			}
		}
	}
	return out, nil
}

// failedCount is the number of failed items, failed roots and nodes
// pending browse.
func (ss *session) failedCount() int {
	n := len(ss.failedRoots) + len(ss.pendingBrowse) + ss.eventsFailed()
	for h := range ss.items {
		if ss.items[h].failed {
			n++
		}
	}
	return n
}

// rootEvent returns the log event for root ri failing for reason: a
// warning the first time the root fails for that reason, debug while it
// keeps failing the same way (failed roots are retried every
// RetryFailedItems, in this and later sessions).
func (ss *session) rootEvent(ri int, reason string) *zerolog.Event {
	w := &ss.src.rootWarned
	if *w == nil {
		*w = map[int]string{}
	}
	if (*w)[ri] == reason {
		return ss.log.Debug()
	}
	(*w)[ri] = reason
	return ss.log.Warn()
}

// goodCount is the number of items that are not failed (failed roots have
// no items, so they do not count).
func (ss *session) goodCount() int {
	n := 0
	for h := range ss.items {
		if !ss.items[h].failed {
			n++
		}
	}
	return n
}

// markFailed records a per-item failure and logs it with id and status.
func (ss *session) markFailed(h int, st ua.StatusCode, what string) {
	it := &ss.items[h]
	if !it.failed || it.status != st {
		ss.log.Warn().Str("node", it.node.ID).Str("status", st.Error()).Msg(what + " failed; retrying later")
	}
	it.failed = true
	it.status = st
}

// updateStatus publishes node and failed counts, and the first
// MaxFailedListed failed items.
func (ss *session) updateStatus() {
	n := ss.failedCount()
	ss.src.status.setItems(len(ss.items), n, len(ss.pendingBrowse), ss.failedList(min(n, MaxFailedListed)))
	ss.publishTagNodes()
}

// failedList returns up to max failed items: roots first (with the reason
// they were last warned about), then nodes pending browse, then items.
func (ss *session) failedList(max int) []FailedItem {
	if max <= 0 {
		return nil
	}
	out := make([]FailedItem, 0, max)
	for _, ri := range ss.failedRoots {
		if len(out) == max {
			return out
		}
		out = append(out, FailedItem{Node: ss.src.cfg.Nodes[ri].ID, Reason: ss.src.rootWarned[ri]})
	}
	for _, p := range ss.pendingBrowse {
		if len(out) == max {
			return out
		}
		fi := FailedItem{Reason: "browse"}
		if id := p.node.item.id; id != nil {
			fi.Node = id.String()
		}
		if p.node.status != ua.StatusOK {
			fi.Status = p.node.status.Error()
		}
		out = append(out, fi)
	}
	for h := range ss.items {
		if len(out) == max {
			return out
		}
		it := &ss.items[h]
		if !it.failed {
			continue
		}
		fi := FailedItem{Node: it.node.ID, Reason: "create monitored item"}
		if ss.src.cfg.Mode == ModePoll {
			fi.Reason = "read"
		}
		if it.status != ua.StatusOK {
			fi.Status = it.status.Error()
		}
		out = append(out, fi)
	}
	return out
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
