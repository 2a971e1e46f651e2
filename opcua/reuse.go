package opcua

import (
	"slices"

	"github.com/gopcua/opcua/ua"
)

// resolvedSet is what a session resolved (the item table and the roots not
// resolved yet), kept by the Source for the next session. Browsing a large
// address space again after every reconnect costs minutes on some servers
// and allocates every node anew; when the server comes back with the same
// NamespaceArray and the same build (product, version), the next session
// takes the set as it is and goes straight to monitoring. A node that is
// gone after all fails its monitored item (BadNodeIdUnknown) and is
// counted as failed and retried like any other; a node added below a root
// meanwhile is found only by the next browse (Config.ReuseNodes false
// browses on every connect).
type resolvedSet struct {
	items         []item
	failedRoots   []int
	pendingBrowse []pendingBrowse // nodes below the roots whose browse is still to retry
	namespaces    []string
	build         string // buildInfo.String() of the server that resolved it
}

// matches reports whether a server with these namespaces and build serves
// the model the set was resolved from.
func (r *resolvedSet) matches(namespaces []string, build string) bool {
	return r != nil && build == r.build && slices.Equal(namespaces, r.namespaces)
}

// take hands the set to a new session: its items with their per-session
// state cleared (the new session learns failures anew), and its failed
// roots.
func (r *resolvedSet) take() (items []item, failedRoots []int, pendingBrowse []pendingBrowse) {
	for h := range r.items {
		r.items[h].failed = false
		r.items[h].status = ua.StatusOK
	}
	return r.items, slices.Clone(r.failedRoots), slices.Clone(r.pendingBrowse)
}
