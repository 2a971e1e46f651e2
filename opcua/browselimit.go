package opcua

import (
	"sync"

	"github.com/gopcua/opcua/ua"
)

// continuationBudget tracks the browse continuation points a session may
// hold. A server allows each session a few (its
// ServerCapabilities.MaxBrowseContinuationPoints, 0 when it does not say);
// a node whose references need one more is answered with
// BadNoContinuationPoints. Some servers enforce a limit they do not
// announce, and some evict their oldest point instead of refusing a new
// one (BrowseNext then answers BadContinuationPointInvalid).
//
// The budget shapes browse requests so that the points they may need fit:
// requests of objects (the nodes with many children) carry at most
// perRequest nodes with at most concurrency requests in flight, so
// concurrency × perRequest ≤ limit. Variables, which rarely have more
// children than one response carries, go in full batches. A node refused
// for want of a point is browsed again within the budget; a refusal under
// an unknown limit sets the limit to the points held at that moment, and a
// refusal within the budget halves it, down to one node at a time.
//
// One budget serves one session: it is safe for concurrent use by the
// request goroutines of a browse, and what it learned outlives the browse.
type continuationBudget struct {
	mu sync.Mutex // guards the fields below
	// limit is the number of points the session may hold, 0 while unknown.
	limit int
	// held is how many points the browses of the session hold now.
	held int
}

// newContinuationBudget returns a budget for a server that allows limit
// points per session (0 = not announced).
func newContinuationBudget(limit int) *continuationBudget {
	return &continuationBudget{limit: max(0, limit)}
}

// Limit returns the points the session may hold (0 = not known).
func (b *continuationBudget) Limit() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// shape returns the nodes per request and the requests in flight for
// nodes that may need a continuation point, given the configured ones.
// With no known limit the configured shape is returned.
func (b *continuationBudget) shape(perRequest, concurrency int) (int, int) {
	l := b.Limit()
	if l <= 0 {
		return perRequest, concurrency
	}
	conc := max(1, min(concurrency, l))
	return max(1, min(perRequest, l/conc)), conc
}

// hold records n points received.
func (b *continuationBudget) hold(n int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held += n
	return b.held
}

// free records n points given back (paged to the end or released).
func (b *continuationBudget) free(n int) {
	b.mu.Lock()
	b.held = max(0, b.held-n)
	b.mu.Unlock()
}

// refused records that the server refused a point while the session held
// held points: the limit becomes at most that (at least one).
func (b *continuationBudget) refused(held int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := max(1, held); b.limit == 0 || l < b.limit {
		b.limit = l
	}
}

// shrink halves the limit after a refusal within the budget. It returns
// false when the budget is one point already: the server refuses even a
// single browse.
func (b *continuationBudget) shrink() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.limit == 1 {
		return false
	}
	if b.limit == 0 {
		b.limit = 1
		return true
	}
	b.limit /= 2
	return true
}

// wantsPoint reports whether a node's browse status means it was refused
// for want of a continuation point (refused outright, or its point was
// evicted or lost), so it is browsed again within the budget.
func wantsPoint(st ua.StatusCode) bool {
	return st == ua.StatusBadNoContinuationPoints || st == ua.StatusBadContinuationPointInvalid
}
