package opcua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// Defaults for BrowseOptions fields left zero.
const (
	DefaultBrowsePerRequest  = 100
	DefaultBrowseConcurrency = 4
	// DefaultBrowseReferences bounds the references one Browse or
	// BrowseNext response may carry: about 70 to 150 bytes each with every
	// field of the result mask, so a response stays near 1 MB, below the
	// usual 2 MiB message limit. A larger response kills gopcua's client
	// (it stops publishing), and the browse request fails.
	DefaultBrowseReferences = 10000
)

// Progress of a long browse is logged every browseProgressNodes nodes or
// browseProgressEvery, whichever comes first.
const (
	browseProgressNodes = 10000
	browseProgressEvery = 10 * time.Second
	// maxBrowsePages bounds BrowseNext round trips per request, against a
	// server that hands out continuation points forever.
	maxBrowsePages = 100000
	// maxSubtypeHops bounds the walk up the data type hierarchy.
	maxSubtypeHops = 8
)

// BrowseOptions bound one recursive browse.
type BrowseOptions struct {
	// MaxDepth bounds how many references deep below the root the browse
	// goes: 1 = the root's children only (0 = DefaultMaxDepth).
	MaxDepth int
	// MaxNodes bounds how many variables one root yields
	// (0 = DefaultMaxNodes); reaching it logs a warning naming the root.
	MaxNodes int
	// Include and Exclude are globs on the browse path of a node below the
	// root: the browse names of its folders and its own, joined by '/'
	// (Line1/Press/Temperature for Plant/Line1/Press/Temperature browsed from
	// Plant). "**" matches any number of path elements (none included), "*"
	// any run of characters within one element, "?" and [...] as in
	// path.Match. A variable is kept when it matches some Include pattern
	// (or Include is empty) and no Exclude pattern. An object or variable
	// matched by an Exclude pattern is not browsed further either, so
	// excluding a folder excludes everything below it.
	Include []string
	Exclude []string
	// PerRequest bounds the nodes per Browse request and the references
	// requested per node (continuation points are followed), and the
	// attributes per Read request (0 = DefaultBrowsePerRequest).
	PerRequest int
	// References bounds the references per response: a request for n
	// nodes asks for at most References/n per node (at least one), and
	// follows continuation points for the rest
	// (0 = DefaultBrowseReferences).
	References int
	// Concurrency bounds browse requests in flight
	// (0 = DefaultBrowseConcurrency).
	Concurrency int
	// ContinuationPoints is how many browse continuation points the server
	// allows a session (its MaxBrowseContinuationPoints; 0 = not known,
	// learned from the server's refusals). See continuationBudget.
	ContinuationPoints int
	// Skip lists nodes that are neither listed nor browsed below (the
	// Server object, say), unless one is the root itself.
	Skip []*ua.NodeID
	// ValueRanks also reads every variable's ValueRank (Variable.ValueRank),
	// for showing arrays; a source does not need it.
	ValueRanks bool
}

// withDefaults fills zero fields.
func (o BrowseOptions) withDefaults() BrowseOptions {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = DefaultMaxNodes
	}
	if o.PerRequest <= 0 {
		o.PerRequest = DefaultBrowsePerRequest
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultBrowseConcurrency
	}
	if o.References <= 0 {
		o.References = DefaultBrowseReferences
	}
	return o
}

// browseItem is a node to browse: its id, the browse names from the root to
// it (its own last), and whether it is a variable.
type browseItem struct {
	id       *ua.NodeID
	path     []string
	variable bool
}

// browser holds the state of one Browse call.
type browser struct {
	c       *gopcua.Client
	root    *ua.NodeID
	opt     BrowseOptions
	include []glob
	exclude []glob
	log     zerolog.Logger

	visited map[string]struct{}
	vars    []Variable
	nodes   int // nodes browsed
	full    bool
	// budget shapes requests to the continuation points the server
	// allows; shared by the browses of one session.
	budget *continuationBudget
	// pending holds the nodes that could not be browsed (the walk below
	// them is missing): retried later by the caller.
	pending []pendingNode

	start time.Time
	// Progress counters, updated by the request goroutines.
	progressMu   sync.Mutex // guards the fields below and opt.References
	browsed      int        // nodes whose references arrived
	refs         int        // references received
	lastProgress time.Time
	lastCount    int
}

// pendingNode is a node whose browse failed: item is the node as it was
// reached, depth the level it was on (0 = the root), status the last
// answer. The walk below it is retried later.
type pendingNode struct {
	item   browseItem
	depth  int
	status ua.StatusCode
}

// Browse walks root over hierarchical references (forward, HierarchicalReferences
// and its subtypes, node classes Object and Variable) and returns its
// variables in breadth-first order, each with the browse names of the
// folders between root and it (Path), its DataType (the built-in type name,
// following data type subtypes such as Duration → Double; "" when unknown)
// and AccessLevel. When root itself is a variable it is returned alone.
//
// Properties of variables (HasProperty: EURange, EngineeringUnits, ...) are
// metadata and not returned; properties of objects are. Every node is
// visited once (reference cycles and several paths to one node are
// harmless). Depth, variable count and include/exclude globs are bounded by
// opt; hitting MaxNodes logs a warning and returns the variables found so
// far. Browse requests carry opt.PerRequest nodes and ask for at most
// opt.PerRequest references per node and opt.References per response,
// following continuation points with BrowseNext; up to opt.Concurrency
// requests are in flight, and requests of objects are kept within the
// continuation points the server allows (see continuationBudget). A node
// refused for want of a continuation point is browsed again, never
// skipped; a request that fails is retried in halves down to single
// nodes. A node that still cannot be browsed is logged with its id and
// status, and the variables below it are missing from the result.
//
// Browse returns an error only when root cannot be read or browsed, a
// pattern is malformed, or ctx ends.
func Browse(ctx context.Context, c *gopcua.Client, root *ua.NodeID, opt BrowseOptions, log zerolog.Logger) ([]Variable, error) {
	b, err := newBrowser(c, root, opt, newContinuationBudget(opt.ContinuationPoints), log)
	if err != nil {
		return nil, err
	}
	vars, err := b.run(ctx)
	if err != nil {
		return nil, err
	}
	if len(b.pending) > 0 {
		b.log.Warn().Int("nodes", len(b.pending)).Str("first", FormatNodeID(b.pending[0].item.id)).
			Str("status", b.pending[0].status.Error()).Msg("browse incomplete: nodes could not be browsed; the variables below them are missing")
	}
	return vars, nil
}

// newBrowser prepares the browse of root with budget.
func newBrowser(c *gopcua.Client, root *ua.NodeID, opt BrowseOptions, budget *continuationBudget, log zerolog.Logger) (*browser, error) {
	if root == nil {
		return nil, errors.New("browse: nil root")
	}
	opt = opt.withDefaults()
	inc, err := compileGlobs(opt.Include)
	if err != nil {
		return nil, fmt.Errorf("browse %s: include %w", root, err)
	}
	exc, err := compileGlobs(opt.Exclude)
	if err != nil {
		return nil, fmt.Errorf("browse %s: exclude %w", root, err)
	}
	b := &browser{
		c: c, root: root, opt: opt, include: inc, exclude: exc,
		log:     log.With().Str("root", FormatNodeID(root)).Logger(),
		visited: map[string]struct{}{FormatNodeID(root): {}},
		budget:  budget,
		start:   time.Now(),
	}
	for _, id := range opt.Skip {
		if k := FormatNodeID(id); k != FormatNodeID(root) {
			b.visited[k] = struct{}{} // as if seen: neither listed nor browsed
		}
	}
	b.lastProgress = b.start
	return b, nil
}

// run browses the whole tree below the root. Nodes that could not be
// browsed are left in b.pending; the root among them is an error.
func (b *browser) run(ctx context.Context) ([]Variable, error) {
	class, name, err := b.readRoot(ctx)
	if err != nil {
		return nil, err
	}
	if class == ua.NodeClassVariable {
		b.vars = []Variable{{ID: b.root, BrowseName: name}}
		if err := b.readAttributes(ctx); err != nil {
			return nil, err
		}
		return b.vars, nil
	}
	if err := b.walk(ctx, []browseItem{{id: b.root}}, 0); err != nil {
		return nil, err
	}
	if len(b.pending) > 0 && b.pending[0].item.id == b.root {
		return nil, fmt.Errorf("browse %s: %w", b.root, b.pending[0].status)
	}
	if err := b.readAttributes(ctx); err != nil {
		return nil, err
	}
	b.log.Debug().Int("variables", len(b.vars)).Int("nodes", b.nodes).Int("pending", len(b.pending)).
		Dur("took_ms", time.Since(b.start)).Msg("browse done")
	return b.vars, nil
}

// walk browses frontier, whose nodes are on level depth below the root,
// and everything below it, level by level.
func (b *browser) walk(ctx context.Context, frontier []browseItem, depth int) error {
	var err error
	for ; depth < b.opt.MaxDepth && len(frontier) > 0 && !b.full; depth++ {
		frontier, err = b.level(ctx, frontier, depth, depth+1 < b.opt.MaxDepth)
		if err != nil {
			return fmt.Errorf("browse %s: %w", b.root, err)
		}
	}
	return nil
}

// readRoot reads the root's node class and browse name.
func (b *browser) readRoot(ctx context.Context) (ua.NodeClass, string, error) {
	resp, err := b.c.Read(ctx, &ua.ReadRequest{
		NodesToRead: []*ua.ReadValueID{
			{NodeID: b.root, AttributeID: ua.AttributeIDNodeClass},
			{NodeID: b.root, AttributeID: ua.AttributeIDBrowseName},
		},
		TimestampsToReturn: ua.TimestampsToReturnNeither,
	})
	if err != nil {
		return 0, "", fmt.Errorf("browse %s: read root: %w", b.root, err)
	}
	if len(resp.Results) != 2 {
		return 0, "", fmt.Errorf("browse %s: read root: %d results for 2 attributes", b.root, len(resp.Results))
	}
	for _, r := range resp.Results {
		if r == nil {
			return 0, "", fmt.Errorf("browse %s: read root: empty result", b.root)
		}
		if r.Status != ua.StatusOK {
			return 0, "", fmt.Errorf("browse %s: %w", b.root, r.Status)
		}
	}
	var class ua.NodeClass
	switch v := resp.Results[0].Value.Value().(type) {
	case int32:
		class = ua.NodeClass(v)
	case uint32:
		class = ua.NodeClass(v)
	}
	var name string
	if qn, ok := resp.Results[1].Value.Value().(*ua.QualifiedName); ok && qn != nil {
		name = qn.Name
	}
	return class, name, nil
}

// level browses one breadth-first level (depth below the root) and
// returns the next one. descend is false on the last level allowed by
// MaxDepth. Nodes refused for want of a continuation point are browsed
// again within a shrinking budget; nodes that still fail go to b.pending.
func (b *browser) level(ctx context.Context, frontier []browseItem, depth int, descend bool) ([]browseItem, error) {
	results := make([]nodeResult, len(frontier))
	todo := make([]int, len(frontier))
	for i := range todo {
		todo[i] = i
	}
	for pass := 0; len(todo) > 0; pass++ {
		if pass > 0 {
			// The first retry uses the limit learned from the refusals;
			// refusals within it halve it.
			if (pass > 1 || b.budget.Limit() == 0) && !b.budget.shrink() {
				break
			}
			b.log.Info().Int("nodes", len(todo)).Int("continuation_points", b.budget.Limit()).
				Msg("browse: nodes refused for want of continuation points; browsing them again within the limit")
		}
		again, err := b.pass(ctx, frontier, todo, results, pass > 0)
		if err != nil {
			return nil, err
		}
		todo = again
	}
	var failed int
	for i, r := range results {
		if r.status != ua.StatusOK {
			b.pending = append(b.pending, pendingNode{item: frontier[i], depth: depth, status: r.status})
			if failed == 0 {
				b.log.Warn().Str("node", FormatNodeID(frontier[i].id)).Str("status", r.status.Error()).Msg("browse of node failed; retrying later")
			}
			failed++
		}
	}
	if failed > 1 {
		b.log.Warn().Int("nodes", failed).Int("depth", depth).Msg("browse of nodes failed; retrying later")
	}

	// Merge in frontier order, so the outcome does not depend on timing.
	var next []browseItem
	for i, r := range results {
		parent := frontier[i]
		if r.status != ua.StatusOK {
			continue
		}
		b.nodes++
		for _, rf := range r.refs {
			item, ok := b.reference(parent, rf)
			if !ok {
				continue
			}
			if item.variable {
				if len(b.vars) >= b.opt.MaxNodes {
					if !b.full {
						b.full = true
						b.log.Warn().Int("max_nodes", b.opt.MaxNodes).
							Msg("browse stopped at the node limit: raise max_nodes or narrow the root or include patterns")
					}
					return nil, nil
				}
				if b.selected(item.path) {
					b.vars = append(b.vars, Variable{ID: item.id, BrowseName: item.path[len(item.path)-1], Path: item.path[:len(item.path)-1]})
				}
			}
			if descend {
				next = append(next, item)
			}
		}
	}
	return next, nil
}

// nodeResult is the outcome of one node's browse: its references, or the
// status that kept it from being browsed.
type nodeResult struct {
	refs   []ref
	status ua.StatusCode
}

// pass browses the nodes of frontier at the indexes todo into results and
// returns the indexes refused for want of a continuation point. Objects
// are browsed first, in requests shaped by the budget, then variables: in
// full batches on the first pass, shaped by the budget on a retry. The two
// never run together, since some servers (node-opcua) refuse every node of
// a session that holds its maximum of points, not only those that need one.
func (b *browser) pass(ctx context.Context, frontier []browseItem, todo []int, results []nodeResult, retry bool) ([]int, error) {
	objPer, conc := b.budget.shape(b.opt.PerRequest, b.opt.Concurrency)
	varPer := b.opt.PerRequest
	if retry {
		varPer = objPer
	}
	var objects, variables []int
	for _, i := range todo {
		if frontier[i].variable {
			variables = append(variables, i)
		} else {
			objects = append(objects, i)
		}
	}
	if err := b.browseGroup(ctx, frontier, objects, objPer, conc, results); err != nil {
		return nil, err
	}
	if err := b.browseGroup(ctx, frontier, variables, varPer, b.opt.Concurrency, results); err != nil {
		return nil, err
	}
	var again []int
	for _, i := range todo {
		if wantsPoint(results[i].status) {
			again = append(again, i)
		}
	}
	return again, nil
}

// browseGroup browses the nodes of frontier at the indexes idx into
// results, per nodes to a request and up to conc requests in flight.
func (b *browser) browseGroup(ctx context.Context, frontier []browseItem, idx []int, per, conc int, results []nodeResult) error {
	nb := (len(idx) + per - 1) / per
	errs := make([]error, nb)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for k := 0; k < nb; k++ {
		part := idx[k*per : min((k+1)*per, len(idx))]
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			batch := make([]browseItem, len(part))
			for j, i := range part {
				batch[j] = frontier[i]
			}
			res, err := b.browseSplit(ctx, batch)
			if err != nil {
				errs[k] = err
				return
			}
			n := 0
			for j, i := range part {
				results[i] = res[j]
				n += len(res[j].refs)
			}
			b.progress(len(batch), n)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ref is what a browse keeps of one reference until its level is merged.
// gopcua decodes a ReferenceDescription into about 380 bytes (display name,
// type definition, reference type, expanded node id); a level below a
// large folder holds all of its references at once, so each is cut down
// to these fields as soon as its response is read.
type ref struct {
	// id is the target as a plain NodeId; nil for a reference that is
	// never kept (no node id, another server, a node class other than
	// Object or Variable).
	id       *ua.NodeID
	uri      string // namespace URI of the target, when the server gave one
	name     string // browse name
	variable bool
	property bool // a HasProperty reference
}

// appendRefs appends the refs of rs to dst, one per reference.
func appendRefs(dst []ref, rs []*ua.ReferenceDescription) []ref {
	for _, r := range rs {
		if r == nil || r.NodeID == nil || r.NodeID.NodeID == nil || r.NodeID.ServerIndex != 0 ||
			r.NodeClass != ua.NodeClassObject && r.NodeClass != ua.NodeClassVariable {
			dst = append(dst, ref{})
			continue
		}
		c := ref{
			uri:      r.NodeID.NamespaceURI,
			variable: r.NodeClass == ua.NodeClassVariable,
			property: r.ReferenceTypeID != nil && r.ReferenceTypeID.Namespace() == 0 && r.ReferenceTypeID.IntID() == id.HasProperty,
		}
		// A plain NodeId: the expanded flags must not reach the wire.
		c.id = ua.NewNodeIDFromExpandedNodeID(r.NodeID)
		if r.BrowseName != nil {
			c.name = r.BrowseName.Name
		}
		dst = append(dst, c)
	}
	return dst
}

// reference turns one browsed reference into the item to keep, or false
// when it is skipped (visited, another server, excluded, a property of a
// variable).
func (b *browser) reference(parent browseItem, r ref) (browseItem, bool) {
	if r.id == nil {
		return browseItem{}, false
	}
	if parent.variable && r.property {
		return browseItem{}, false
	}
	if r.uri != "" {
		// The server named the namespace by URI; the index it also
		// carries is meaningless, so the node cannot be addressed.
		b.log.Warn().Str("node", formatExpandedNodeID(&ua.ExpandedNodeID{NodeID: r.id, NamespaceURI: r.uri})).
			Msg("browse skips a node given by namespace uri")
		return browseItem{}, false
	}
	key := FormatNodeID(r.id)
	if _, seen := b.visited[key]; seen {
		return browseItem{}, false
	}
	b.visited[key] = struct{}{}
	p := make([]string, len(parent.path)+1)
	copy(p, parent.path)
	p[len(parent.path)] = r.name
	if matchAny(b.exclude, p) {
		return browseItem{}, false
	}
	return browseItem{id: r.id, path: p, variable: r.variable}, true
}

// selected reports whether a variable at path passes the include patterns
// (exclusion was applied while browsing).
func (b *browser) selected(p []string) bool {
	return len(b.include) == 0 || matchAny(b.include, p)
}

// progress adds a finished request's counts and logs the browse's
// progress every browseProgressNodes nodes or browseProgressEvery. It is
// called by the request goroutines.
func (b *browser) progress(nodes, refs int) {
	b.progressMu.Lock()
	defer b.progressMu.Unlock()
	b.browsed += nodes
	b.refs += refs
	now := time.Now()
	if b.browsed-b.lastCount < browseProgressNodes && now.Sub(b.lastProgress) < browseProgressEvery {
		return
	}
	b.lastCount, b.lastProgress = b.browsed, now
	b.log.Info().Int("nodes", b.browsed).Int("references", b.refs).
		Dur("elapsed_ms", now.Sub(b.start)).Msg("browsing")
}

// browseSplit browses batch and returns each node's result. A failed
// request is retried in halves, so one node that upsets the server costs
// only itself; a request refused for its size (or for want of
// continuation points) at a single node asks for fewer references per
// response, down to one. Only ctx ending is an error, and a failed request
// for the root alone: the root's failure is the browse's.
func (b *browser) browseSplit(ctx context.Context, batch []browseItem) ([]nodeResult, error) {
	res, err := b.browseBatch(ctx, batch)
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var st ua.StatusCode
	if !errors.As(err, &st) {
		st = ua.StatusBadCommunicationError
	}
	if len(batch) == 1 {
		if tooBig(err) && b.fewerReferences() {
			return b.browseSplit(ctx, batch)
		}
		if batch[0].id == b.root && !wantsPoint(st) {
			return nil, err
		}
		b.log.Debug().Str("node", FormatNodeID(batch[0].id)).Err(err).Msg("browse request failed")
		return []nodeResult{{status: st}}, nil
	}
	if st == ua.StatusBadNoContinuationPoints {
		// The whole request was refused: browse its nodes again within
		// the budget.
		b.budget.refused(b.budget.hold(0))
		out := make([]nodeResult, len(batch))
		for i := range out {
			out[i].status = st
		}
		return out, nil
	}
	half := len(batch) / 2
	first, err := b.browseSplit(ctx, batch[:half])
	if err != nil {
		return nil, err
	}
	second, err := b.browseSplit(ctx, batch[half:])
	if err != nil {
		return nil, err
	}
	return append(first, second...), nil
}

// fewerReferences halves the references asked for per response after a
// response was too large for one node; false when it is one already.
func (b *browser) fewerReferences() bool {
	b.progressMu.Lock()
	defer b.progressMu.Unlock()
	if b.opt.References <= 1 {
		return false
	}
	b.opt.References /= 2
	b.log.Warn().Int("references", b.opt.References).Msg("browse response too large; asking for fewer references")
	return true
}

// browseBatch sends one Browse request for batch and follows continuation
// points until every node's references are complete. A node the server
// refused, or whose paging failed, carries the status; a failed request
// is the error. Continuation points are never left behind: they are
// paged to the end or released.
func (b *browser) browseBatch(ctx context.Context, batch []browseItem) ([]nodeResult, error) {
	b.progressMu.Lock()
	refs := b.opt.References
	b.progressMu.Unlock()
	req := &ua.BrowseRequest{
		View:                          &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)},
		RequestedMaxReferencesPerNode: uint32(max(1, min(b.opt.PerRequest, refs/len(batch)))),
		NodesToBrowse:                 make([]*ua.BrowseDescription, len(batch)),
	}
	for i, it := range batch {
		req.NodesToBrowse[i] = &ua.BrowseDescription{
			NodeID:          it.id,
			BrowseDirection: ua.BrowseDirectionForward,
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HierarchicalReferences),
			IncludeSubtypes: true,
			NodeClassMask:   uint32(ua.NodeClassObject | ua.NodeClassVariable),
			ResultMask:      uint32(ua.BrowseResultMaskAll),
		}
	}
	resp, err := b.c.Browse(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("browse request: %w", err)
	}
	out := make([]nodeResult, len(batch))
	var cps [][]byte
	var owners []int
	refusedPoint := false
	for i, r := range resp.Results {
		if i >= len(batch) {
			break
		}
		if st := resultStatus(r); st != ua.StatusOK {
			out[i].status = st
			refusedPoint = refusedPoint || st == ua.StatusBadNoContinuationPoints
			continue
		}
		out[i].refs = appendRefs(nil, r.References)
		if len(r.ContinuationPoint) > 0 {
			cps = append(cps, r.ContinuationPoint)
			owners = append(owners, i)
		}
	}
	held := b.budget.hold(len(cps))
	if refusedPoint {
		b.budget.refused(held)
	}
	if len(resp.Results) != len(batch) {
		b.releaseContinuationPoints(cps)
		return nil, fmt.Errorf("browse request: %d results for %d nodes", len(resp.Results), len(batch))
	}
	for page := 0; len(cps) > 0; page++ {
		if page >= maxBrowsePages {
			b.log.Warn().Int("pages", page).Msg("browse gave up following continuation points")
			b.releaseContinuationPoints(cps)
			for _, i := range owners {
				out[i] = nodeResult{status: ua.StatusBadContinuationPointInvalid}
			}
			break
		}
		next, err := b.c.BrowseNext(ctx, &ua.BrowseNextRequest{ContinuationPoints: cps})
		if err != nil {
			b.releaseContinuationPoints(cps)
			return nil, fmt.Errorf("browse next: %w", err)
		}
		if len(next.Results) != len(cps) {
			b.releaseContinuationPoints(cps)
			return nil, fmt.Errorf("browse next: %d results for %d continuation points", len(next.Results), len(cps))
		}
		var moreCPs [][]byte
		var moreOwners []int
		for k, r := range next.Results {
			i := owners[k]
			if st := resultStatus(r); st != ua.StatusOK {
				// Its point is gone (evicted or expired): the node is
				// browsed again from the start.
				out[i] = nodeResult{status: st}
				if st == ua.StatusBadContinuationPointInvalid {
					b.budget.refused(b.budget.hold(0))
				}
				continue
			}
			out[i].refs = appendRefs(out[i].refs, r.References)
			if len(r.ContinuationPoint) > 0 {
				moreCPs = append(moreCPs, r.ContinuationPoint)
				moreOwners = append(moreOwners, i)
			}
		}
		b.budget.hold(len(moreCPs))
		b.budget.free(len(cps))
		cps, owners = moreCPs, moreOwners
	}
	return out, nil
}

// resultStatus returns the status of a browse result: Bad severity, or a
// missing result, keeps the node from being browsed.
func resultStatus(r *ua.BrowseResult) ua.StatusCode {
	if r == nil {
		return ua.StatusBadUnexpectedError
	}
	if r.StatusCode != ua.StatusOK && isBad(r.StatusCode) {
		return r.StatusCode
	}
	return ua.StatusOK
}

// releaseContinuationPoints frees server resources after an aborted
// paging; failures are only logged.
func (b *browser) releaseContinuationPoints(cps [][]byte) {
	if len(cps) == 0 {
		return
	}
	defer b.budget.free(len(cps))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.c.BrowseNext(ctx, &ua.BrowseNextRequest{ReleaseContinuationPoints: true, ContinuationPoints: cps}); err != nil {
		b.log.Debug().Err(err).Msg("release continuation points")
	}
}

// readAttributes reads DataType and AccessLevel of every variable and maps
// the data types to built-in type names.
func (b *browser) readAttributes(ctx context.Context) error {
	if len(b.vars) == 0 {
		return nil
	}
	attrs := 2
	if b.opt.ValueRanks {
		attrs = 3
	}
	per := max(1, b.opt.PerRequest/attrs)
	dataTypes := make([]*ua.NodeID, len(b.vars))
	nb := (len(b.vars) + per - 1) / per
	errs := make([]error, nb)
	sem := make(chan struct{}, b.opt.Concurrency)
	var wg sync.WaitGroup
	for k := 0; k < nb; k++ {
		lo, hi := k*per, min((k+1)*per, len(b.vars))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[k] = b.readAttributeBatch(ctx, b.vars[lo:hi], dataTypes[lo:hi], attrs)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			// Data types are a nicety: log once and go on without them.
			b.log.Warn().Err(err).Msg("reading data types of browsed variables failed; their data type stays unknown")
			break
		}
	}
	names := b.resolveDataTypes(ctx, dataTypes)
	for i := range b.vars {
		if dataTypes[i] != nil {
			b.vars[i].DataType = names[FormatNodeID(dataTypes[i])]
		}
	}
	return nil
}

// readAttributeBatch reads DataType and AccessLevel of vars (and
// ValueRank when attrs is 3).
func (b *browser) readAttributeBatch(ctx context.Context, vars []Variable, dataTypes []*ua.NodeID, attrs int) error {
	req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnNeither}
	for _, v := range vars {
		req.NodesToRead = append(req.NodesToRead,
			&ua.ReadValueID{NodeID: v.ID, AttributeID: ua.AttributeIDDataType},
			&ua.ReadValueID{NodeID: v.ID, AttributeID: ua.AttributeIDAccessLevel})
		if attrs == 3 {
			req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: v.ID, AttributeID: ua.AttributeIDValueRank})
		}
	}
	resp, err := b.c.Read(ctx, req)
	if err != nil {
		return fmt.Errorf("read data types of %d variables: %w", len(vars), err)
	}
	if len(resp.Results) != attrs*len(vars) {
		return fmt.Errorf("read data types: %d results for %d attributes", len(resp.Results), attrs*len(vars))
	}
	for i := range vars {
		if attrs == 3 {
			if dv := resp.Results[attrs*i+2]; dv != nil && dv.Status == ua.StatusOK && dv.Value != nil {
				if r, ok := dv.Value.Value().(int32); ok {
					if r == 0 {
						r = ValueRankOneOrMoreDimensions
					}
					vars[i].ValueRank = r
				}
			}
		}
		if dv := resp.Results[attrs*i]; dv != nil && dv.Status == ua.StatusOK && dv.Value != nil {
			switch t := dv.Value.Value().(type) {
			case *ua.NodeID:
				dataTypes[i] = t
			case *ua.ExpandedNodeID:
				if t != nil && t.NodeID != nil {
					dataTypes[i] = ua.NewNodeIDFromExpandedNodeID(t)
				}
			}
		}
		if dv := resp.Results[attrs*i+1]; dv != nil && dv.Status == ua.StatusOK && dv.Value != nil {
			if a, ok := dv.Value.Value().(uint8); ok {
				vars[i].AccessLevel = a
			}
		}
	}
	return nil
}
