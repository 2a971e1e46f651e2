package opcua

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// item is one variable being acquired. Its index in session.items is the
// monitored item's client handle.
type item struct {
	node    *tag.Node
	id      *ua.NodeID
	numeric bool
	// noFilter is set once the server refused a deadband filter for it.
	noFilter bool
	// failed is set while the item is not acquired (bad node id, unknown
	// node, refused monitored item); it is retried every RetryFailedItems.
	failed bool
	status ua.StatusCode
	// monitored is the server's monitored item id (subscribe mode).
	monitored uint32
}

// ItemError is a per-item failure: the node and the status the server gave.
type ItemError struct {
	NodeID string
	Status ua.StatusCode
}

func (e *ItemError) Error() string { return fmt.Sprintf("node %s: %v", e.NodeID, e.Status) }

// Unwrap returns the OPC UA status.
func (e *ItemError) Unwrap() error { return e.Status }

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

// resolveRoots parses and browses the configured roots at the given
// indexes of cfg.Nodes and adds their variables to the item table. It
// returns the indexes of the new items and the roots that failed (invalid
// id, unknown node, browse error): those are logged with id and reason and
// retried later. A root whose variables are already in the table adds
// nothing.
func (ss *session) resolveRoots(ctx context.Context, roots []int) (added []int, failed []int, err error) {
	cfg := &ss.src.cfg
	start := time.Now()
	var vars []Variable
	for _, ri := range roots {
		nc := cfg.Nodes[ri]
		id, perr := ParseNodeID(nc.ID, ss.namespaces)
		if perr != nil {
			ss.log.Warn().Str("node", nc.ID).Err(perr).Msg("node id invalid; retrying later")
			failed = append(failed, ri)
			continue
		}
		vs, berr := Browse(ctx, ss.c, id, BrowseOptions{
			MaxDepth:    orDefault(nc.MaxDepth, DefaultMaxDepth),
			MaxNodes:    orDefault(nc.MaxNodes, DefaultMaxNodes),
			Include:     nc.Include,
			Exclude:     nc.Exclude,
			PerRequest:  ss.limits.Browse,
			Concurrency: 4,
		}, ss.log)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if berr != nil {
			if aerr := ss.alive(ctx); aerr != nil {
				return nil, nil, fmt.Errorf("browse %s: %w (%w)", nc.ID, berr, aerr)
			}
			ss.log.Warn().Str("node", nc.ID).Err(berr).Msg("node cannot be browsed; retrying later")
			failed = append(failed, ri)
			continue
		}
		if len(vs) == 0 {
			ss.log.Warn().Str("node", nc.ID).Msg("node has no variables (unknown node or empty folder); retrying later")
			failed = append(failed, ri)
			continue
		}
		vars = append(vars, vs...)
	}
	ss.src.status.setBrowseTime(time.Since(start))
	if len(vars) == 0 {
		return nil, failed, nil
	}
	nodes := NameNodes(cfg.Name, cfg.Endpoint, vars)
	if len(nodes) != len(vars) {
		return nil, nil, &FatalError{Err: fmt.Errorf("name nodes: got %d nodes for %d variables", len(nodes), len(vars))}
	}
	for i, n := range nodes {
		key := vars[i].ID.String()
		if _, dup := ss.byID[key]; dup {
			continue
		}
		ss.byID[key] = len(ss.items)
		added = append(added, len(ss.items))
		ss.items = append(ss.items, &item{
			node:    n,
			id:      vars[i].ID,
			numeric: numericTypes[vars[i].DataType] || numericTypes[n.DataType],
		})
	}
	return added, failed, nil
}

// failedCount is the number of failed items and failed roots.
func (ss *session) failedCount() int {
	n := len(ss.failedRoots)
	for _, it := range ss.items {
		if it.failed {
			n++
		}
	}
	return n
}

// markFailed records a per-item failure and logs it with id and status.
func (ss *session) markFailed(h int, st ua.StatusCode, what string) {
	it := ss.items[h]
	if !it.failed || it.status != st {
		ss.log.Warn().Str("node", it.node.ID).Str("status", st.Error()).Msg(what + " failed; retrying later")
	}
	it.failed = true
	it.status = st
}

// updateStatus publishes node and failed counts.
func (ss *session) updateStatus() {
	ss.src.status.setItems(len(ss.items), ss.failedCount())
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// isConnectionError reports whether err means the session or connection is
// gone (reconnect), as opposed to a per-request problem.
func isConnectionError(err error) bool {
	if err == nil {
		return false
	}
	var st ua.StatusCode
	if errors.As(err, &st) {
		switch st {
		case ua.StatusBadTimeout, ua.StatusBadSessionIDInvalid, ua.StatusBadSessionClosed,
			ua.StatusBadSessionNotActivated, ua.StatusBadSecureChannelIDInvalid,
			ua.StatusBadSecureChannelClosed, ua.StatusBadConnectionClosed,
			ua.StatusBadServerNotConnected, ua.StatusBadNotConnected,
			ua.StatusBadCommunicationError, ua.StatusBadServerHalted,
			ua.StatusBadShutdown, ua.StatusBadRequestTimeout:
			return true
		}
		return false
	}
	// Transport errors (EOF, reset, timeouts) are not status codes.
	return true
}
