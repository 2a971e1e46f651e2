package opcua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// Source acquires the values of one configured server. Run owns its one
// session at a time; Status may be called concurrently from anywhere.
type Source struct {
	cfg    Config
	log    zerolog.Logger
	status *statusBox
	// info is the SourceInfo every node of the source points at, in every
	// session. Immutable.
	info *tag.SourceInfo

	// learned holds batch sizes a server refused as too big, so the next
	// session starts below them. Owned by the goroutine running Run.
	learned learnedLimits
	// rootWarned holds, per index into cfg.Nodes, the reason its last
	// failure was warned about, so a root that keeps failing the same way
	// is warned about once. Owned by the goroutine running Run.
	rootWarned map[int]string

	// resolved is the node set of the last session that resolved one, for
	// the next session to reuse (see resolvedSet); nil while none. Owned
	// by the goroutine running Run.
	resolved *resolvedSet
	// structs holds the structure definitions the last session loaded
	// (structures.go).
	structs *structCache

	// live is the active session's handle for commands (command.go), nil
	// while there is none; cmdSlots bounds the commands in flight.
	live     atomic.Pointer[liveSession]
	cmdSlots chan struct{}
	// tagNodes maps the node id of every acquired variable to its
	// tag.Node, for TagNode; replaced whole, never changed.
	tagNodes atomic.Pointer[map[string]*tag.Node]

	// events are the parsed events entries (cfg.Events). Immutable.
	events []eventEntry
	// eventNodes are the nodes of events, per entry and event type, kept
	// for the source's life (see eventNode); eventNodesFull is set once
	// maxEventNodes was reached. Owned by the goroutine running Run.
	eventNodes     map[eventNodeKey]*tag.Node
	eventNodesFull bool
	// eventWarned holds, per events entry, the reason its last failure
	// was logged as an error ("" while it is monitored), so an entry that
	// keeps failing the same way is logged once (see eventFailure). Owned
	// by the goroutine running Run.
	eventWarned []string

	// closers counts the goroutines closing the clients of ended sessions
	// (closeInBackground); Run waits for them before it returns.
	closers sync.WaitGroup
}

// learnedLimits are caps on batch sizes (0 = none) learned from
// BadTooManyOperations and similar answers, on the items per subscription
// learned from BadTooManyMonitoredItems, and on the browse continuation
// points per session learned from BadNoContinuationPoints.
type learnedLimits struct {
	Read, Monitor, PerSubscription, BrowseContinuationPoints int
	// NoConditionRefresh is set once the server answered ConditionRefresh
	// with a service fault (see conditionRefresh).
	NoConditionRefresh bool
}

// NewSource validates cfg (applying the defaults of config.go) and returns
// an unconnected source. It does no network I/O. log is used as given: the
// caller adds the component and source fields.
func NewSource(cfg Config, log zerolog.Logger) (*Source, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(true); err != nil {
		return nil, err
	}
	src := &Source{
		cfg:    cfg,
		log:    log,
		status: newStatusBox(cfg.Name),
		info:   &tag.SourceInfo{Name: cfg.Name, Endpoint: cfg.Endpoint},

		cmdSlots: make(chan struct{}, maxCommandsInFlight),
	}
	for i, e := range cfg.Events {
		en, err := newEventEntry(e, cfg.Name)
		if err != nil {
			return nil, fmt.Errorf("opcua source %q: events[%d]: %w", cfg.Name, i, err)
		}
		src.events = append(src.events, en)
	}
	src.eventWarned = make([]string, len(src.events))
	return src, nil
}

// Status returns a snapshot of the source's state. Safe for concurrent use.
func (s *Source) Status() Status { return s.status.snapshot() }

// Run connects, browses, subscribes or polls and emits every value until ctx
// is done. It owns reconnection (capped backoff with jitter, at most one
// active session: an ended session's client is closed in the background,
// within RequestTimeout, while the next one is dialled), so it returns nil
// when ctx is cancelled and an error only for a fatal problem that
// retrying cannot fix (a *FatalError: unreadable certificate files). Every
// client is closed before Run returns. emit is called from Run's goroutine
// only, one sample at a time, in the order values arrive.
func (s *Source) Run(ctx context.Context, emit Emit) error {
	defer s.status.setState(StateStopped, nil)
	defer s.closers.Wait()
	bo := backoff{Min: s.cfg.ReconnectMin, Max: s.cfg.ReconnectMax}
	connectedBefore := false
	// Connecting is shown until the first connection; after a loss the
	// state stays disconnected (and its Since unchanged) across attempts,
	// so "disconnected since T" tells when the data stopped.
	s.status.setState(StateConnecting, nil)
	for {
		sess := &session{src: s, emit: emit, reconnect: connectedBefore}
		err := sess.run(ctx)
		if sess.connected {
			connectedBefore = true
			bo.Reset()
		}
		if ctx.Err() != nil {
			return nil
		}
		var fatal *FatalError
		if errors.As(err, &fatal) {
			s.status.setState(StateStopped, err)
			s.log.Error().Err(err).Msg("source stopped: fatal error")
			return err
		}
		if err == nil {
			err = errors.New("session ended")
		}
		s.status.setState(StateDisconnected, err)
		d := bo.Next()
		ev := s.log.Warn()
		var untrusted *UntrustedError
		if errors.As(err, &untrusted) {
			ev = s.log.Error().Str("thumbprint", untrusted.Thumbprint).Str("rejected", untrusted.Rejected)
		}
		ev.Err(err).Int("attempt", bo.Attempt()).Dur("retry_in_ms", d).Msg("disconnected; reconnecting")
		if !wait(ctx, d) {
			return nil
		}
	}
}

// closeInBackground closes c (its session and secure channel) in a
// goroutine owned by s, bounded by RequestTimeout: a dead server never
// answers CloseSession, and the source must not wait for that to show the
// connection lost and to start reconnecting.
func (s *Source) closeInBackground(c *gopcua.Client) {
	s.closers.Add(1)
	go func() {
		defer s.closers.Done()
		closeClient(c, s.cfg.RequestTimeout)
		s.log.Debug().Msg("session closed")
	}()
}

// errDead is returned by the session loop when the subscription or the
// connection stopped answering.
var errDead = errors.New("connection dead")

// emitErr marks an error returned by emit (ctx done): the session ends
// without a reconnect.
type emitErr struct{ err error }

func (e emitErr) Error() string { return fmt.Sprintf("emit: %v", e.err) }
func (e emitErr) Unwrap() error { return e.err }

// elapsed is time.Since, named for readability in log fields.
func elapsed(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
