package statuspage

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
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

// entry is the latest value of one subject. Its value's buffer is reused
// by the next update that fits, so updates of a kept subject do not
// allocate; text is made only for what is sent or searched.
type entry struct {
	value  []byte
	timeMs int64
	dirty  bool // listed in Table.dirty
}

// text returns the entry's value as sent, "…" marking a value cut at
// MaxValueBytes.
func (e *entry) text() string {
	if len(e.value) == MaxValueBytes {
		return string(e.value) + "…"
	}
	return string(e.value)
}

// Table keeps the latest value of at most Max subjects. Subjects beyond
// Max are not kept: their updates are counted (NotKept), never stored, so
// the table's memory is bounded whatever the site publishes. It records
// which subjects changed since the last call of Changes, each once.
// Safe for concurrent use.
type Table struct {
	max int

	notKept atomic.Uint64
	// watched is set by Watch: until a page or script first asks for the
	// values, the agent does not feed the table (see Watched).
	watched atomic.Bool

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

// Watch marks the table as looked at: from now on Watched is true.
func (t *Table) Watch() { t.watched.Store(true) }

// Watched reports whether the values were ever asked for. A feeder may
// skip Update while it is false, so a gateway whose status page nobody
// opens pays neither the table's memory nor its time.
func (t *Table) Watched() bool { return t.watched.Load() }

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
		// A copy, so the table never pins a larger buffer the subject
		// may be part of.
		subject = strings.Clone(subject)
		e = &entry{}
		t.entries[subject] = e
	}
	e.value = append(e.value[:0], value...)
	e.timeMs = timeMs
	if !e.dirty {
		e.dirty = true
		t.dirty = append(t.dirty, subject)
	}
	t.mu.Unlock()
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
		out[i] = Value{Subject: s, Value: e.text(), TimeMs: e.timeMs}
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
		values = append(values, Value{Subject: s, Value: e.text(), TimeMs: e.timeMs})
	}
	t.mu.Unlock()
	slices.SortFunc(values, func(a, b Value) int { return strings.Compare(a.Subject, b.Subject) })
	if len(values) > limit {
		values = slices.Clip(values[:max(limit, 0)])
	}
	return values, total
}

// Matches reports whether subject contains lowerQuery, ignoring case;
// lowerQuery must be lower case. ASCII subjects (the usual case) are
// compared without allocating.
func Matches(subject, lowerQuery string) bool {
	if lowerQuery == "" {
		return true
	}
	for i := 0; i < len(subject); i++ {
		if subject[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(subject), lowerQuery)
		}
	}
	first, firstUpper := lowerQuery[0], lowerQuery[0]
	if 'a' <= first && first <= 'z' {
		firstUpper -= 'a' - 'A'
	}
	for i := 0; i+len(lowerQuery) <= len(subject); i++ {
		if c := subject[i]; (c == first || c == firstUpper) && hasLowerPrefix(subject[i+1:], lowerQuery[1:]) {
			return true
		}
	}
	return false
}

// hasLowerPrefix reports whether the ASCII string s starts with q when
// lowered.
func hasLowerPrefix(s, q string) bool {
	for j := 0; j < len(q); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != q[j] {
			return false
		}
	}
	return true
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
