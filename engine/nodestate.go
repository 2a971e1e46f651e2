package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// What the engine keeps per node is shared by all runtimes: a site with
// 100,000 tags pays for it once, not once per runtime, and no bound on the
// number of nodes makes samples rebuild it. A nodeState is immutable apart
// from a few atomically published caches, each filled on the rare miss by
// whichever runtime meets it first:
//
//   - JS values of the node's own meta strings (only of the keys scripts
//     read), see sharedValue;
//   - the result of each cacheable condition and the state of each stage
//     (see stageState);
//   - the node's last shared header blocks, each with its subject (see
//     headerVariant).
//
// JS values shared this way must be immutable: goja's strings are, once
// scanned (see shareable), and so are its numbers, booleans, null and
// undefined; objects never are and are never shared.

// nodeState is the engine's state of one node (see above).
type nodeState struct {
	// The node's msg.meta holds status Good and the types tagType and
	// dataType (see typeName) of the sample the state was made from,
	// unless a sample differs (see fillMeta). Good, not the first
	// sample's status: a PLC's first value is often
	// BadWaitingForInitialData, and a reference every later sample
	// differs from would cost each of them overrides and the cached
	// results of stages that read the status. Immutable.
	tagType, dataType uint8
	// noValue marks a state made from a sample without a value (whose
	// types say nothing about the node's): the node's first sample with a
	// value replaces it (see nodeTable.get).
	noValue bool
	// seen is the table's epoch when the node was last looked up.
	seen atomic.Uint32
	// headerVariants holds the node's last shared header blocks, newest first.
	headerVariants [2]atomic.Pointer[headerVariant]
	// rare holds what few nodes need (see nodeRare); nil for most nodes.
	// Immutable.
	rare *nodeRare
	// states holds 2 bits per stage, for the first 32 stages.
	states atomic.Uint64
	// vals is the list of the JS values made for the node's meta strings.
	vals atomic.Pointer[sharedVal]
	// effects is the list of the node's recorded stage effects.
	effects atomic.Pointer[effectRecord]
	// subj holds the node's last subjects of messages whose headers do
	// not tell their subject (see finalize).
	subj atomic.Pointer[subjectSet]
}

// nodeRare is the part of a nodeState few nodes need.
type nodeRare struct {
	// extra are the node's Extra keys that are not engine keys, sorted.
	extra []metaEntry
	// states continues nodeState.states for stages 32 and up.
	states []atomic.Uint64
	// tagType and dataType are the first sample's types when they are
	// not in typeNames.
	tagType, dataType string
}

// typeNames are the type names sampleTypes returns other than a node's own
// DataType: a nodeState keeps its types as indexes into it. Index 0 stands
// for the node's DataType, typeOther for a name kept in nodeRare.
var typeNames = func() []string {
	names := []string{"", "number", "bool", "string", "array", "object", "datetime"}
	for t := tag.TypeNull; t.String() != ""; t++ {
		names = append(names, t.String())
	}
	return names
}()

const typeOther = 255

var typeIndex = func() map[string]uint8 {
	m := make(map[string]uint8, len(typeNames))
	for i, n := range typeNames[1:] {
		m[n] = uint8(i + 1)
	}
	return m
}()

// typeName returns the name of type index i of node n; other is the name
// kept for typeOther.
func typeName(i uint8, n *tag.Node, other string) string {
	switch i {
	case 0:
		return n.DataType
	case typeOther:
		return other
	}
	return typeNames[i]
}

// tagTypeName and dataTypeName return the node's first sample's types.
func (ns *nodeState) tagTypeName(n *tag.Node) string {
	if ns.tagType == typeOther {
		return ns.rare.tagType
	}
	return typeName(ns.tagType, n, "")
}

func (ns *nodeState) dataTypeName(n *tag.Node) string {
	if ns.dataType == typeOther {
		return ns.rare.dataType
	}
	return typeName(ns.dataType, n, "")
}

// newNodeState builds the state of the node of s for an engine with
// nstages stages.
func newNodeState(s *tag.Sample, nstages int) *nodeState {
	tagType, dataType := sampleTypes(s)
	ns := &nodeState{noValue: sampleValue(s) == nil}
	n := s.Node
	var rare nodeRare
	var ok bool
	if ns.tagType, ok = typeIndex[tagType]; !ok {
		ns.tagType, rare.tagType = typeOther, tagType
	}
	if n.DataType == "" { // else it is the node's DataType: index 0
		if ns.dataType, ok = typeIndex[dataType]; !ok {
			ns.dataType, rare.dataType = typeOther, dataType
		}
	}
	if len(n.Extra) > 0 {
		keys := make([]string, 0, len(n.Extra))
		for k := range n.Extra {
			if !engineKey(k) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			rare.extra = append(rare.extra, metaEntry{key: k, str: n.Extra[k], final: finalKey(k)})
		}
	}
	if nstages > stagesPerWord {
		rare.states = make([]atomic.Uint64, (nstages-1)/stagesPerWord)
	}
	if rare.extra != nil || rare.states != nil || rare.tagType != "" || rare.dataType != "" {
		ns.rare = &rare
	}
	return ns
}

// extra returns the node's Extra entries.
func (ns *nodeState) extra() []metaEntry {
	if ns.rare == nil {
		return nil
	}
	return ns.rare.extra
}

// Stage states, 2 bits per stage of a node: for an if, condUnknown,
// condTrue or condFalse (see cacheable.go).
const stagesPerWord = 32

// stageWord returns the word holding the state of stage idx, and its shift.
func (ns *nodeState) stageWord(idx int) (*atomic.Uint64, uint) {
	shift := uint(idx%stagesPerWord) * 2
	if idx < stagesPerWord {
		return &ns.states, shift
	}
	return &ns.rare.states[idx/stagesPerWord-1], shift
}

// stageState returns the state of stage idx.
func (ns *nodeState) stageState(idx int) uint8 {
	w, shift := ns.stageWord(idx)
	return uint8(w.Load()>>shift) & 3
}

// setStageState sets the state of stage idx, unless another runtime has
// set it since it was unknown (every runtime computes the same state).
func (ns *nodeState) setStageState(idx int, st uint8) {
	w, shift := ns.stageWord(idx)
	for {
		old := w.Load()
		if (old>>shift)&3 != 0 {
			return
		}
		if w.CompareAndSwap(old, old|uint64(st)<<shift) {
			return
		}
	}
}

// sharedVal is one JS value of a node's meta entry, in an immutable list.
type sharedVal struct {
	idx  int
	v    goja.Value
	next *sharedVal
}

// sharedValue returns the JS value of the node's meta entry idx with string
// str, made on first read by any runtime and shared from then on.
func (ns *nodeState) sharedValue(vm *goja.Runtime, idx int, str string) goja.Value {
	head := ns.vals.Load()
	for p := head; p != nil; p = p.next {
		if p.idx == idx {
			return p.v
		}
	}
	v, _ := shareable(vm.ToValue(str))
	e := &sharedVal{idx: idx, v: v, next: head}
	for !ns.vals.CompareAndSwap(head, e) {
		// Another runtime added a value meanwhile: use its value if it is
		// this one's, else retry on the longer list.
		head = ns.vals.Load()
		for p := head; p != nil && p != e.next; p = p.next {
			if p.idx == idx {
				return p.v
			}
		}
		e.next = head
	}
	return v
}

// effectOf returns the node's recorded effect of stage idx, or nil.
func (ns *nodeState) effectOf(idx int) *effectRecord {
	for p := ns.effects.Load(); p != nil; p = p.next {
		if p.stage == idx {
			return p
		}
	}
	return nil
}

// addEffect adds rec to the node's recorded effects unless another runtime
// recorded the stage meanwhile.
func (ns *nodeState) addEffect(rec *effectRecord) {
	for {
		head := ns.effects.Load()
		for p := head; p != nil; p = p.next {
			if p.stage == rec.stage {
				return
			}
		}
		rec.next = head
		if ns.effects.CompareAndSwap(head, rec) {
			return
		}
	}
}

// shareable returns v in a form that runtimes other than the one that made
// it may use concurrently, and whether there is one. goja's imported strings
// (what Runtime.ToValue makes of a Go string longer than 16 bytes) scan
// themselves for non-ASCII characters on first use; Length scans them, and
// after that they are never written again.
func shareable(v goja.Value) (goja.Value, bool) {
	switch x := v.(type) {
	case nil, *goja.Object:
		return nil, false
	case goja.String:
		x.Length()
		return v, true
	}
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return v, true
	}
	switch kindOf(v) {
	case jsInt, jsFloat, jsBool:
		return v, true
	}
	return nil, false
}

// headerVariant is one immutable block of shared headers of a node with
// the subject its meta gives: equal headers mean equal final meta, so a
// message whose headers match reuses both. The block refers to the node's
// fields and a layout shared with other nodes (see layoutTable), so a
// variant costs a node a few words plus the values only it has.
type headerVariant struct {
	block   tag.HeaderBlock
	subject string
}

// variant returns the node's header variant holding exactly cand, or nil.
func (ns *nodeState) variant(cand []tag.Header) *headerVariant {
	for i := range ns.headerVariants {
		if v := ns.headerVariants[i].Load(); v != nil && v.block.Equal(cand) {
			return v
		}
	}
	return nil
}

// addVariant stores a block of node n holding cand (from the engine's
// layouts t) with its subject as the node's newest variant, dropping the
// oldest, and returns it. A returned block is never modified, so any
// number of messages may refer to it. The slots are not replaced as one:
// a concurrent reader may miss a variant or see one twice, and concurrent
// additions may lose one, which costs a new block, never a wrong one.
func (ns *nodeState) addVariant(t *layoutTable, n *tag.Node, cand []tag.Header, subject string) *headerVariant {
	var last [len(ns.headerVariants)]*tag.HeaderLayout
	var prev [len(ns.headerVariants)]*headerVariant
	for i := range ns.headerVariants {
		if prev[i] = ns.headerVariants[i].Load(); prev[i] != nil {
			last[i] = prev[i].block.Layout()
		}
	}
	v := &headerVariant{block: t.block(cand, n, last[:]...), subject: subject}
	for i := len(ns.headerVariants) - 1; i > 0; i-- {
		ns.headerVariants[i].Store(prev[i-1])
	}
	ns.headerVariants[0].Store(v)
	return v
}

// subjectSet holds a node's last subjects (at most maxSubjects, newest
// first; a node commonly alternates between a few). Immutable.
type subjectSet []subjectEntry

const maxSubjects = 4

type subjectEntry struct {
	location, contract, virtualPath, tagName, subject string
}

// lookupSubject returns the node's cached subject of f's parts.
func (ns *nodeState) lookupSubject(f *final) (string, bool) {
	set := ns.subj.Load()
	if set == nil {
		return "", false
	}
	for i := range *set {
		c := &(*set)[i]
		if c.location == f.location && c.contract == f.contract && c.virtualPath == f.virtualPath && c.tagName == f.tagName {
			return c.subject, true
		}
	}
	return "", false
}

// addSubject records subject as the subject of f's parts, dropping the
// oldest when the set is full. Concurrent additions may lose one; that
// costs a rebuild, never a wrong subject.
func (ns *nodeState) addSubject(f *final, subject string) {
	var old subjectSet
	if p := ns.subj.Load(); p != nil {
		old = *p
	}
	next := make(subjectSet, 1, min(len(old)+1, maxSubjects))
	next[0] = subjectEntry{location: f.location, contract: f.contract, virtualPath: f.virtualPath, tagName: f.tagName, subject: subject}
	next = append(next, old[:min(len(old), maxSubjects-1)]...)
	ns.subj.Store(&next)
}

// nodeTable maps each node to its state. It is split into shards, each a
// map under its own lock, so runtimes on different cores rarely meet on one
// (a map costs a few dozen bytes per node, sync.Map about a hundred).
//
// The table has no size bound (a bound below the number of nodes a site
// has would make samples rebuild states over and over); instead, states of
// nodes that stop sending samples age out: time is counted in epochs of at
// least epochMin lookups and at least epochPerState lookups per state, a
// lookup stamps the state with the current epoch, and when an epoch ends
// within two epochs of the creation of a state (nodes come and go, e.g. a
// re-browse replaced them), states not looked up in the epoch that ended
// or later are removed. A node that sends at least once per epoch is never
// removed, and a site with a fixed set of nodes never sweeps after warm-up;
// a removed node that sends again just gets a new state.
type nodeTable struct {
	shards  [nodeShards]nodeShard
	live    atomic.Int64
	epoch   atomic.Uint32
	created atomic.Uint32 // the epoch of the last state created
	// lookups counts lookups, in steps of tickEvery; start is its value
	// when the current epoch began.
	lookups, start atomic.Uint64
	// layouts are the layouts of the nodes' shared headers.
	layouts layoutTable
}

const nodeShards = 64

type nodeShard struct {
	mu sync.RWMutex
	// m is guarded by mu.
	m map[*tag.Node]*nodeState
	_ [64 - 32]byte // a cache line per shard
}

// tickEvery is how many lookups a runtime counts before it tells the table
// (see tick).
const tickEvery = 1024

// epochMin is the least number of lookups in an epoch; epochPerState the
// least number per state in the table.
const (
	epochMin      = 1 << 16
	epochPerState = 4
)

// shard returns the shard of node n.
func (t *nodeTable) shard(n *tag.Node) *nodeShard {
	h := uint64(uintptr(unsafe.Pointer(n))) * 0x9E3779B97F4A7C15
	return &t.shards[h>>(64-6)]
}

// get returns the state of the node of s, creating it on first sight.
func (t *nodeTable) get(s *tag.Sample, nstages int) *nodeState {
	ep := t.epoch.Load()
	sh := t.shard(s.Node)
	sh.mu.RLock()
	ns := sh.m[s.Node]
	sh.mu.RUnlock()
	if ns != nil && ns.noValue && sampleValue(s) != nil {
		return t.replace(sh, s, ns, nstages, ep)
	}
	if ns != nil {
		if ns.seen.Load() != ep {
			ns.seen.Store(ep)
		}
		return ns
	}
	ns = newNodeState(s, nstages)
	ns.seen.Store(ep)
	sh.mu.Lock()
	if old := sh.m[s.Node]; old != nil {
		sh.mu.Unlock()
		return old
	}
	if sh.m == nil {
		sh.m = make(map[*tag.Node]*nodeState)
	}
	sh.m[s.Node] = ns
	sh.mu.Unlock()
	t.live.Add(1)
	if t.created.Load() != ep {
		t.created.Store(ep)
	}
	return ns
}

// replace puts a new state of s's node in place of old (made from a sample
// without a value), unless another runtime did so first.
func (t *nodeTable) replace(sh *nodeShard, s *tag.Sample, old *nodeState, nstages int, ep uint32) *nodeState {
	ns := newNodeState(s, nstages)
	ns.seen.Store(ep)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cur := sh.m[s.Node]
	if cur != old && cur != nil {
		return cur
	}
	if cur == nil { // swept meanwhile
		t.live.Add(1)
	}
	sh.m[s.Node] = ns
	return ns
}

// tick counts n more lookups; it ends the epoch when it has lasted long
// enough, and then sweeps if states were created lately.
func (t *nodeTable) tick(n uint64) {
	lookups := t.lookups.Add(n)
	start := t.start.Load()
	if lookups-start < max(epochMin, epochPerState*uint64(t.live.Load())) || !t.start.CompareAndSwap(start, lookups) {
		return
	}
	ep := t.epoch.Add(1)
	if ep-t.created.Load() > 2 {
		return
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, ns := range sh.m {
			if ep-ns.seen.Load() > 1 {
				delete(sh.m, k)
				t.live.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
}

// len returns the number of states in the table.
func (t *nodeTable) len() int { return int(t.live.Load()) }
