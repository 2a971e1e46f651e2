package opcua

import (
	"context"
	"fmt"
	"slices"

	"github.com/gopcua/opcua/ua"
)

// pendingBrowse is a node below the configured root cfg.Nodes[root] whose
// browse failed even within the server's continuation points: the
// variables below it are missing until a retry, every RetryFailedItems,
// browses it.
type pendingBrowse struct {
	root     int
	rootName string // the root's browse name, first in its variables' path (withRootName)
	node     pendingNode
}

// withRootNamePending records the browse name of the root the pending
// nodes are below, so the variables a retry finds get the same path as
// those of the first browse.
func withRootNamePending(pending []pendingBrowse, rootName string) []pendingBrowse {
	for i := range pending {
		pending[i].rootName = rootName
	}
	return pending
}

// browseOptions are the browse options of the configured root idx in this
// session.
func (ss *session) browseOptions(idx int) BrowseOptions {
	nc := ss.src.cfg.Nodes[idx]
	return BrowseOptions{
		MaxDepth:    orDefault(nc.MaxDepth, DefaultMaxDepth),
		MaxNodes:    orDefault(nc.MaxNodes, DefaultMaxNodes),
		Include:     nc.Include,
		Exclude:     nc.Exclude,
		PerRequest:  ss.limits.Browse,
		Concurrency: DefaultBrowseConcurrency,
	}
}

// browseRoot browses the configured root idx (node id id) within the
// session's continuation points. It returns the variables found and the
// nodes below the root that could not be browsed; an error means the root
// itself could not be browsed.
func (ss *session) browseRoot(ctx context.Context, idx int, id *ua.NodeID) ([]Variable, []pendingBrowse, error) {
	b, err := newBrowser(ss.c, id, ss.browseOptions(idx), ss.browseBudget, ss.log)
	if err != nil {
		return nil, nil, err
	}
	vars, err := b.run(ctx)
	if err != nil {
		return nil, nil, err
	}
	pending := make([]pendingBrowse, len(b.pending))
	for i, p := range b.pending {
		pending[i] = pendingBrowse{root: idx, node: p}
	}
	return vars, pending, nil
}

// retryPendingBrowse browses the pending nodes again, each from its place
// in its root's tree (depth, browse path and filters as in the first
// browse), adds the variables found and returns their handles. Nodes that
// fail again stay pending. It returns an error when ctx ends, the
// connection is lost, or the server still refuses continuation points
// while the session holds none that it knows of: points handed out in
// answers that never arrived (a request that timed out) stay allocated
// until the session closes, so only a new session frees them.
func (ss *session) retryPendingBrowse(ctx context.Context) (added []int, err error) {
	pending := ss.pendingBrowse
	ss.pendingBrowse = nil
	var vars []Variable
	for i, p := range pending {
		b, err := newBrowser(ss.c, p.node.item.id, ss.browseOptions(p.root), ss.browseBudget, ss.log)
		if err == nil {
			bctx, stop := ss.sessionCtx(ctx)
			b.visited[FormatNodeID(p.node.item.id)] = struct{}{}
			err = b.walk(bctx, []browseItem{p.node.item}, p.node.depth)
			if err == nil {
				err = b.readAttributes(bctx)
			}
			stop()
		}
		if err != nil {
			ss.pendingBrowse = append(ss.pendingBrowse, pending[i:]...)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if aerr := ss.alive(ctx); aerr != nil {
				return nil, aerr
			}
			ss.log.Warn().Str("node", FormatNodeID(p.node.item.id)).Err(err).Msg("browse retry failed; retrying later")
			break
		}
		vars = append(vars, withRootName(b.vars, p.rootName)...)
		for _, q := range b.pending {
			ss.pendingBrowse = append(ss.pendingBrowse, pendingBrowse{root: p.root, rootName: p.rootName, node: q})
		}
	}
	if ss.browseBudget.hold(0) == 0 && slices.ContainsFunc(ss.pendingBrowse, func(p pendingBrowse) bool {
		return p.node.status == ua.StatusBadNoContinuationPoints
	}) {
		return nil, fmt.Errorf("browse of %d nodes: the server refuses continuation points while this session holds none it knows of; "+
			"a new session frees them: %w", len(ss.pendingBrowse), ua.StatusBadNoContinuationPoints)
	}
	added, err = ss.addVariables(vars)
	if err != nil {
		return nil, err
	}
	ss.log.Info().Int("retried", len(pending)).Int("variables", len(added)).Int("still_pending", len(ss.pendingBrowse)).
		Msg("retried browse of pending nodes")
	if len(ss.pendingBrowse) == 0 && len(ss.failedRoots) == 0 {
		ss.byID = nil
	}
	return added, nil
}
