package command

import (
	"encoding/json"
	"fmt"
	"math/big"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgetag/edgetag/opcua"
)

// Policy is the validated commands: block of a site file. The zero value
// allows nothing: no writes, calls, reads or browsing.
type Policy struct {
	// Read enables the read endpoint, Browse the browse endpoint (for
	// every source).
	Read   bool
	Browse bool
	// Timeout bounds a request that names none (and caps one that does).
	Timeout time.Duration
	// AuditSubject, when set, receives every audit record as JSON.
	AuditSubject string
	// Sources holds the allow-list of each source by name; a source not
	// listed allows no writes or calls.
	Sources map[string]*SourceRules
	// UNSSubjects are subject filters whose messages are writes (see
	// uns.go); none by default. Each has a CommandToken token.
	UNSSubjects []string
	// UNSContract replaces CommandToken to find the node a command
	// subject writes to ("" = DefaultUNSContract).
	UNSContract string
}

// SourceRules is what one source allows.
type SourceRules struct {
	Write []NodeRule
	Call  []MethodRule
	// Guarded holds the node rules of further guarded endpoints (see
	// Service.AddGuarded) by endpoint name.
	Guarded map[string][]NodeRule
}

// NodeRule allows the nodes whose id matches Node, or whose tag path
// matches Path (one of them is set), optionally within [Min, Max] and at
// most Rate writes per node per RatePer.
type NodeRule struct {
	// Node is a glob on the node id in its standard form (ns=<index>;...,
	// as edgetag shows it) or as written with nsu=: "*" matches any run
	// of characters, "?" one character.
	Node string
	// Path is a glob on the node's tag path, its folders below the
	// browse root and its name joined by '/': "*" matches within one
	// element, "**" any number of elements.
	Path string
	// Min and Max bound numeric values (every element of an array).
	Min, Max *big.Rat
	// Rate is how many writes per RatePer one node may take (0 = no
	// limit).
	Rate    int
	RatePer time.Duration
}

// MethodRule allows calling methods whose node id matches Method on
// objects whose node id matches Object (globs as NodeRule.Node; an empty
// Object allows every object).
type MethodRule struct {
	Object string
	Method string
}

// ParseRate parses a rate limit "<n>/s", "<n>/m" or "<n>/h".
func ParseRate(s string) (n int, per time.Duration, err error) {
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("rate %q: want <count>/s, /m or /h, e.g. 10/m", s)
	}
	n, err = strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("rate %q: the count must be a positive integer", s)
	}
	switch strings.TrimSpace(unit) {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return 0, 0, fmt.Errorf("rate %q: the unit must be s, m or h", s)
	}
	return n, per, nil
}

// CheckNodeGlob reports a malformed node-id glob.
func CheckNodeGlob(g string) error {
	if g == "" {
		return fmt.Errorf("empty pattern")
	}
	_, err := path.Match(strings.ReplaceAll(g, "/", "_"), "")
	if err != nil {
		return fmt.Errorf("pattern %q: %w", g, err)
	}
	return nil
}

// CheckPathGlob reports a malformed tag-path glob.
func CheckPathGlob(g string) error {
	if g == "" {
		return fmt.Errorf("empty pattern")
	}
	for _, e := range strings.Split(g, "/") {
		if e == "" {
			return fmt.Errorf("pattern %q: empty path element", g)
		}
		if _, err := path.Match(e, ""); err != nil {
			return fmt.Errorf("pattern %q: %w", g, err)
		}
	}
	return nil
}

// matchNode matches a node-id glob: "*" any run of characters, "?" one.
// path.Match's "*" stops at '/', which node ids may contain, so '/' is
// replaced on both sides by a byte no pattern treats specially.
func matchNode(glob, id string) bool {
	ok, _ := path.Match(strings.ReplaceAll(glob, "/", "\x00"), strings.ReplaceAll(id, "/", "\x00"))
	return ok
}

// matchPath matches a tag-path glob against the path's elements.
func matchPath(glob []string, elems []string) bool {
	if len(glob) == 0 {
		return len(elems) == 0
	}
	if glob[0] == "**" {
		for i := 0; i <= len(elems); i++ {
			if matchPath(glob[1:], elems[i:]) {
				return true
			}
		}
		return false
	}
	if len(elems) == 0 {
		return false
	}
	if ok, _ := path.Match(glob[0], elems[0]); !ok {
		return false
	}
	return matchPath(glob[1:], elems[1:])
}

// target is the node a write (or guarded request) is about.
type target struct {
	// ids are the forms of the node id that rules may name: as written
	// and in standard form.
	ids []string
	// path is the node's tag path elements (nil when not known).
	path []string
}

// nodeRule returns the first rule of rules that allows t, or nil.
func nodeRule(rules []NodeRule, t target) *NodeRule {
	for i := range rules {
		r := &rules[i]
		if r.Node != "" {
			for _, id := range t.ids {
				if matchNode(r.Node, id) {
					return r
				}
			}
			continue
		}
		if r.Path != "" && t.path != nil && matchPath(strings.Split(r.Path, "/"), t.path) {
			return r
		}
	}
	return nil
}

// checkBounds checks a JSON value (a number or an array of numbers)
// against the rule's Min and Max; values that are not numbers are left to
// the conversion, which refuses them for numeric nodes.
func checkBounds(r *NodeRule, raw json.RawMessage) *opcua.CommandError {
	if r.Min == nil && r.Max == nil {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		elems = []json.RawMessage{raw}
	}
	for _, e := range elems {
		var n json.Number
		if json.Unmarshal(e, &n) != nil {
			continue
		}
		v, ok := new(big.Rat).SetString(n.String())
		if !ok || len(n.String()) > 400 {
			return &opcua.CommandError{Code: opcua.CodeOutOfRange, Msg: fmt.Sprintf("%s cannot be checked against the allowed range", e)}
		}
		if r.Min != nil && v.Cmp(r.Min) < 0 || r.Max != nil && v.Cmp(r.Max) > 0 {
			return &opcua.CommandError{Code: opcua.CodeOutOfRange, Msg: fmt.Sprintf("%s is outside the allowed range %s", e, boundsString(r))}
		}
	}
	return nil
}

func boundsString(r *NodeRule) string {
	lo, hi := "-inf", "+inf"
	if r.Min != nil {
		lo = r.Min.FloatString(6)
	}
	if r.Max != nil {
		hi = r.Max.FloatString(6)
	}
	return "[" + strings.TrimRight(strings.TrimRight(lo, "0"), ".") + ", " + strings.TrimRight(strings.TrimRight(hi, "0"), ".") + "]"
}

// maxRateKeys bounds the nodes whose rate windows are remembered; beyond
// it, windows that ended are dropped, and if none has, the write is
// refused as rate_limited (fail closed).
const maxRateKeys = 100000

// rateLimiter counts writes per node in fixed windows.
type rateLimiter struct {
	mu      sync.Mutex // guards windows
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

// allow reports whether one more write to key fits its rule's rate at now,
// and counts it.
func (l *rateLimiter) allow(key string, r *NodeRule, now time.Time) bool {
	if r.Rate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]*window{}
	}
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= r.RatePer {
		if w == nil && len(l.windows) >= maxRateKeys {
			for k, o := range l.windows {
				if now.Sub(o.start) >= time.Hour {
					delete(l.windows, k)
				}
			}
			if len(l.windows) >= maxRateKeys {
				return false
			}
		}
		l.windows[key] = &window{start: now, count: 1}
		return true
	}
	if w.count >= r.Rate {
		return false
	}
	w.count++
	return true
}
