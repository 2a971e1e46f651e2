package statuspage

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxValueBytes bounds the text kept of one value; longer values are cut
// and end in "…".
const MaxValueBytes = 256

// Value is the latest value published on one subject.
type Value struct {
	Subject string `json:"subject"`
	// Value is the payload's value as JSON text, cut at MaxValueBytes.
	Value string `json:"value"`
	// TimeMs is the message's timestamp (Unix milliseconds).
	TimeMs int64 `json:"time_ms"`
}

// entry is the latest value of one subject.
type entry struct {
	value  string
	timeMs int64
	dirty  bool // listed in Table.dirty
}

// Table keeps the latest value of at most Max subjects. Subjects beyond
// Max are not kept: their updates are counted (NotKept), never stored, so
// the table's memory is bounded whatever the site publishes. It records
// which subjects changed since the last call of Changes, each once.
// Safe for concurrent use.
type Table struct {
	max int

	notKept atomic.Uint64

	mu      sync.Mutex // guards the fields below
	entries map[string]*entry
	// dirty lists the subjects changed since the last Changes, in the
	// order of their first change; it never holds more than max.
	dirty []string
}

// NewTable returns a table keeping at most maxSubjects subjects (at least one).
func NewTable(maxSubjects int) *Table {
	return &Table{max: max(maxSubjects, 1), entries: make(map[string]*entry)}
}

// Update records value (the payload's value as JSON text) as the latest of
// subject. It copies what it keeps; value may be reused by the caller.
func (t *Table) Update(subject string, value []byte, timeMs int64) {
	if len(value) > MaxValueBytes {
		value = value[:MaxValueBytes]
	}
	t.mu.Lock()
	e, ok := t.entries[subject]
	if !ok {
		if len(t.entries) >= t.max {
			t.mu.Unlock()
			t.notKept.Add(1)
			return
		}
		e = &entry{}
		t.entries[subject] = e
	}
	if e.value != string(value) { // compares without allocating
		e.value = cutValue(value)
	}
	e.timeMs = timeMs
	if !e.dirty {
		e.dirty = true
		t.dirty = append(t.dirty, subject)
	}
	t.mu.Unlock()
}

// cutValue copies v, marking a value cut at MaxValueBytes.
func cutValue(v []byte) string {
	if len(v) == MaxValueBytes {
		return string(v) + "…"
	}
	return string(v)
}

// Changes returns up to n subjects changed since the last call, with their
// latest values, oldest change first; the rest stay for the next call.
func (t *Table) Changes(n int) []Value {
	t.mu.Lock()
	defer t.mu.Unlock()
	n = min(n, len(t.dirty))
	if n == 0 {
		return nil
	}
	out := make([]Value, n)
	for i, s := range t.dirty[:n] {
		e := t.entries[s]
		e.dirty = false
		out[i] = Value{Subject: s, Value: e.value, TimeMs: e.timeMs}
	}
	rest := copy(t.dirty, t.dirty[n:])
	clear(t.dirty[rest:])
	t.dirty = t.dirty[:rest]
	return out
}

// Search returns the values of up to limit subjects containing query
// (case-insensitive; "" matches all), sorted by subject, and how many
// subjects match in all.
func (t *Table) Search(query string, limit int) (values []Value, total int) {
	q := strings.ToLower(query)
	t.mu.Lock()
	for s, e := range t.entries {
		if !Matches(s, q) {
			continue
		}
		total++
		values = append(values, Value{Subject: s, Value: e.value, TimeMs: e.timeMs})
	}
	t.mu.Unlock()
	slices.SortFunc(values, func(a, b Value) int { return strings.Compare(a.Subject, b.Subject) })
	if len(values) > limit {
		values = slices.Clip(values[:max(limit, 0)])
	}
	return values, total
}

// Matches reports whether subject contains lowerQuery, ignoring case;
// lowerQuery must be lower case.
func Matches(subject, lowerQuery string) bool {
	if lowerQuery == "" {
		return true
	}
	if strings.Contains(subject, lowerQuery) {
		return true
	}
	return strings.Contains(strings.ToLower(subject), lowerQuery)
}

// Len is the number of subjects kept.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// Max is the number of subjects the table keeps at most.
func (t *Table) Max() int { return t.max }

// NotKept counts the updates of subjects beyond Max, which were not kept.
func (t *Table) NotKept() uint64 { return t.notKept.Load() }
