package opcua

import (
	"strconv"
	"strings"

	"github.com/edgetag/edgetag/tag"
)

// CanonicalNodeID returns id in the standard form edgetag uses
// (ns=<index>;..., namespace URIs resolved against the active session's
// namespace table). It fails with ErrSourceDown without an active session
// and with a *CommandError (invalid_request, unknown_node) for a bad id.
func (s *Source) CanonicalNodeID(id string) (string, error) {
	live := s.live.Load()
	if live == nil || live.lost.Err() != nil {
		return "", ErrSourceDown
	}
	n, cerr := live.parseNode(id)
	if cerr != nil {
		return "", cerr
	}
	return FormatNodeID(n), nil
}

// TagNode returns the tag.Node of a variable the source acquires, by node
// id in standard form (as CanonicalNodeID returns it): its tag path is what
// command allow-lists match path globs against. Safe for concurrent use;
// the set is the one of the last session that resolved its nodes.
func (s *Source) TagNode(id string) (*tag.Node, bool) {
	m := s.tagNodes.Load()
	if m == nil {
		return nil, false
	}
	n, ok := (*m)[id]
	return n, ok
}

// publishTagNodes makes the session's nodes visible to TagNode when their
// number changed since the last call.
func (ss *session) publishTagNodes() {
	if m := ss.src.tagNodes.Load(); m != nil && len(*m) == len(ss.items) {
		return
	}
	m := make(map[string]*tag.Node, len(ss.items))
	for _, it := range ss.items {
		if it.node != nil {
			m[it.node.ID] = it.node
		}
	}
	ss.src.tagNodes.Store(&m)
}

// AccessString renders an AccessLevel as `edgetag browse` does ("rw",
// "r", ...).
func AccessString(a byte) string { return accessString(a) }

// URIForm returns a node id in standard form (ns=<index>;...) with its
// namespace URI instead of its index (nsu=<uri>;...), as the active
// session's namespace table maps it; "" without a session, for namespace
// 0 or an index the table lacks.
func (s *Source) URIForm(id string) string {
	live := s.live.Load()
	if live == nil || !strings.HasPrefix(id, "ns=") {
		return ""
	}
	idx, rest, ok := strings.Cut(strings.TrimPrefix(id, "ns="), ";")
	if !ok {
		return ""
	}
	n, err := strconv.Atoi(idx)
	if err != nil || n <= 0 || n >= len(live.namespaces) {
		return ""
	}
	return "nsu=" + live.namespaces[n] + ";" + rest
}
