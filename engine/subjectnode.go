package engine

import (
	"hash/maphash"

	"github.com/edgetag/edgetag/tag"
)

// NodeOfSubject returns the node that published first on subject since
// this engine was built (the node → subject map the collision check keeps;
// see subjectOwners), or false when none has, or when the subject was
// first seen after the map was full. Commands use it to address a write
// by UNS subject. Safe for concurrent use; read-only.
func (e *Engine) NodeOfSubject(subject string) (*tag.Node, bool) {
	return e.subjects.first(subject)
}

// first returns the first node of subject.
func (o *subjectOwners) first(subject string) (*tag.Node, bool) {
	sh := &o.shards[maphash.String(o.seed, subject)%ownerShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n, ok := sh.first[subject]
	return n, ok
}
