package engine

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// Two different nodes whose messages get the same subject are a subject
// collision: on that subject consumers see the values of both interleaved
// (four Temperature nodes of four machines published as one Temperature),
// usually because the subject is built from the node's name without its
// group. subjectOwners remembers the first node of every subject and
// reports each other node that produces it: once per subject a warning
// with both node ids, and a counter for every (subject, node) pair.
//
// It is consulted only where a runtime builds a subject string that the
// node's caches did not hold (see jsRuntime.subject and newSubject): at a
// node's first message, and when its subject changes. Messages that reuse
// a node's cached subject or header variant pay nothing.

// maxTrackedSubjects bounds the subjects remembered (a few dozen bytes
// each); subjects first seen beyond it are not checked, which is logged
// once.
const maxTrackedSubjects = 1 << 20

// maxSharersPerSubject bounds the other nodes remembered per subject; more
// are still reported, but may be counted again on a later first sight.
const maxSharersPerSubject = 64

const ownerShards = 64

// subjectOwners maps each subject to the node that first produced it. It
// is safe for concurrent use.
type subjectOwners struct {
	seed maphash.Seed
	// limit is the most subjects remembered (maxTrackedSubjects).
	limit  int64
	shards [ownerShards]ownerShard
	// size is the number of subjects remembered; full is set once it
	// reached limit.
	size atomic.Int64
	full atomic.Bool
	// collisions counts the (subject, other node) pairs seen.
	collisions atomic.Uint64
	log        zerolog.Logger
}

type ownerShard struct {
	mu sync.Mutex
	// first and sharers are guarded by mu. first maps a subject to its
	// first node; sharers maps a collided subject to the other nodes seen
	// on it.
	first   map[string]*tag.Node
	sharers map[string][]*tag.Node
}

func newSubjectOwners(log zerolog.Logger) *subjectOwners {
	return &subjectOwners{seed: maphash.MakeSeed(), limit: maxTrackedSubjects, log: log}
}

// sameNode reports whether a and b are the same OPC UA node: same source
// and node id. A node's tag.Node is replaced when its source browses again,
// so pointers are not compared.
func sameNode(a, b *tag.Node) bool {
	if a == b {
		return true
	}
	return a.ID == b.ID && sourceName(a) == sourceName(b)
}

func sourceName(n *tag.Node) string {
	if n.Src == nil {
		return ""
	}
	return n.Src.Name
}

// claim records that node n produces subject; when another node produced
// it first, it counts the collision and, for the subject's first one, logs
// both node ids. Nodes without an id (samples made up for a test run) are
// not tracked.
func (o *subjectOwners) claim(subject string, n *tag.Node) {
	if n == nil || n.ID == "" {
		return
	}
	sh := &o.shards[maphash.String(o.seed, subject)%ownerShards]
	sh.mu.Lock()
	first, ok := sh.first[subject]
	if !ok {
		if o.size.Load() >= o.limit {
			sh.mu.Unlock()
			if !o.full.Swap(true) {
				o.log.Warn().Int64("subjects", o.limit).
					Msg("subject collision check stopped taking new subjects: too many distinct subjects")
			}
			return
		}
		if sh.first == nil {
			sh.first = make(map[string]*tag.Node)
		}
		sh.first[subject] = n
		o.size.Add(1)
		sh.mu.Unlock()
		return
	}
	if sameNode(first, n) {
		sh.mu.Unlock()
		return
	}
	others := sh.sharers[subject]
	for _, s := range others {
		if sameNode(s, n) {
			sh.mu.Unlock()
			return
		}
	}
	if len(others) < maxSharersPerSubject {
		if sh.sharers == nil {
			sh.sharers = make(map[string][]*tag.Node)
		}
		sh.sharers[subject] = append(others, n)
	}
	sh.mu.Unlock()
	o.collisions.Add(1)
	if len(others) > 0 {
		o.log.Debug().Str("subject", subject).Str("node", n.ID).Str("source", sourceName(n)).
			Str("first_node", first.ID).Str("first_source", sourceName(first)).Int("nodes", len(others)+2).
			Msg("one more node publishes on a subject another node already publishes on")
		return
	}
	o.log.Warn().Str("subject", subject).Str("node", n.ID).Str("source", sourceName(n)).
		Str("first_node", first.ID).Str("first_source", sourceName(first)).
		Msg("two nodes publish on one subject, so their values interleave there: " +
			"build the subject from opcua_tag_group (or opcua_tag_path) as well as the tag name " +
			"(logged once per subject; edgetag_engine_subject_collisions_total counts them)")
}

// count returns the number of collisions seen.
func (o *subjectOwners) count() uint64 { return o.collisions.Load() }
