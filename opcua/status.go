package opcua

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// statusBox holds a source's observable state. Safe for concurrent use: it
// is read by /metrics while the source runs.
type statusBox struct {
	samples atomic.Uint64 // samples emitted; hot path, so outside mu
	// undecodedStructures counts structure values whose body did not
	// decode from its definition (published raw instead).
	undecodedStructures atomic.Uint64
	// unnamedEnumValues counts enumeration numbers without a name, when
	// enumerations are published as names.
	unnamedEnumValues atomic.Uint64
	events            atomic.Uint64 // of them, events

	mu sync.Mutex // guards the fields below
	st Status
	// lost is set when the running session was found dead (sessionLost)
	// and cleared when the next one connects: meanwhile the state stays
	// disconnected whatever the ending session still reports.
	lost bool
}

func newStatusBox(name string) *statusBox {
	b := &statusBox{}
	b.st = Status{Name: name, State: StateStopped, Since: time.Now()}
	return b
}

// snapshot returns a copy of the status.
func (b *statusBox) snapshot() Status {
	b.mu.Lock()
	st := b.st
	st.Failed = slices.Clone(st.Failed)
	b.mu.Unlock()
	st.Samples = b.samples.Load()
	st.UndecodedStructures = b.undecodedStructures.Load()
	st.UnnamedEnumValues = b.unnamedEnumValues.Load()
	st.Events = b.events.Load()
	return st
}

// setState moves to s (Since changes only when the state does). A non-nil
// err becomes LastError.
func (b *statusBox) setState(s State, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.st.State != s {
		b.st.State = s
		b.st.Since = time.Now()
	}
	if err != nil {
		b.st.LastError = err.Error()
	}
}

// sessionStarted notes that a session connected.
func (b *statusBox) sessionStarted() {
	b.mu.Lock()
	b.lost = false
	b.mu.Unlock()
}

// sessionLost moves to disconnected at once, with err as LastError, and
// keeps that state until the next session connects.
func (b *statusBox) sessionLost(err error) {
	b.mu.Lock()
	b.lost = true
	b.mu.Unlock()
	b.setState(StateDisconnected, err)
}

// setItems records the node count, the failed items (pending browse
// included) and the nodes pending browse, and derives connected or
// degraded (unless the session was lost). The source is
// connected again, so the error that ended an earlier connection no longer
// applies: LastError is cleared.
func (b *statusBox) setItems(nodes, failed, pendingBrowse int, listed []FailedItem) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st.Failed = listed
	b.st.Nodes = nodes
	b.st.FailedItems = failed
	b.st.PendingBrowse = pendingBrowse
	if b.lost {
		return
	}
	b.st.LastError = ""
	s := StateConnected
	if failed > 0 {
		s = StateDegraded
	}
	if b.st.State != s {
		b.st.State = s
		b.st.Since = time.Now()
	}
}

func (b *statusBox) setSubscriptions(n int) {
	b.mu.Lock()
	b.st.Subscriptions = n
	b.mu.Unlock()
}

func (b *statusBox) setBrowseTime(d time.Duration) {
	b.mu.Lock()
	b.st.BrowseTime = d
	b.mu.Unlock()
}

func (b *statusBox) addReconnect() {
	b.mu.Lock()
	b.st.Reconnects++
	b.mu.Unlock()
}
