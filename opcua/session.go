package opcua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// session is one connection of a Source: connect, browse, acquire until the
// connection fails or ctx is done, then hand the client to the Source to
// close. A new session (fresh client, fresh secure channel, re-browsed
// roots, new subscription) is built for every reconnect, which also
// recovers from a server that came back with a new certificate. All fields
// are owned by the goroutine calling run; the heartbeat goroutine only
// uses c and lost.
type session struct {
	src       *Source
	emit      Emit
	reconnect bool // a session was connected before this one
	once      bool // read every node once, then end (Source.ReadOnce)
	connected bool // this session got as far as an active session

	log zerolog.Logger
	c   *gopcua.Client
	// lost is done once the heartbeat found the connection dead (its cause
	// is that error) or run's ctx is done. Every request of the session
	// ends with it (requestCtx, sessionCtx); emits do not, so a value
	// already received is never dropped because the connection died.
	lost       context.Context
	namespaces []string
	limits     batchLimits

	items       []item         // client handle = index
	byID        map[string]int // node id string -> index in items; nil while no root failed or node is pending browse
	failedRoots []int          // indexes into cfg.Nodes not resolved yet
	// pendingBrowse holds nodes below resolved roots whose browse failed
	// (see browsepending.go); browseBudget the session's continuation points.
	pendingBrowse []pendingBrowse
	browseBudget  *continuationBudget

	unknownHandles uint64 // notifications dropped for a client handle not in items
	// revisedSampling summarizes the sampling intervals the server granted
	// in the last monitorItems call, for its log line.
	revisedSampling revisedSampling

	// Subscribe mode: the subscriptions, all delivering to notifs.
	subs   []*subscription
	notifs chan *gopcua.PublishNotificationData
	// events are the session's event monitored items (events_subscribe.go).
	events eventState

	// structs decodes the values of structured data types (structures.go).
	structs *structures
	// live is what commands use of this session (nil for a read-once
	// session); loadStructures shares its definitions with it.
	live  *liveSession
	build string // the server's build, as resolvedSet and structCache record it
}

// allHandles returns the handles of every item.
func (ss *session) allHandles() []int {
	all := make([]int, len(ss.items))
	for i := range all {
		all[i] = i
	}
	return all
}

// run executes one session. It returns nil or ctx.Err() when ctx is done,
// and otherwise the reason the session ended. The client is closed before
// run returns, so a Source never holds two sessions.
func (ss *session) run(ctx context.Context) error {
	s := ss.src
	cfg := &s.cfg
	ss.log = s.log

	c, err := Connect(ctx, *cfg, s.log)
	if err != nil {
		return err
	}
	ss.c = c
	// Closing waits for the server's answer (up to RequestTimeout): done
	// in the background so that a dead server's session ends, and its
	// state shows it, at once.
	defer s.closeInBackground(c)
	lost, lose := context.WithCancelCause(ctx)
	defer lose(nil)
	ss.lost = lost
	ss.connected = true
	s.status.sessionStarted()
	s.status.setSubscriptions(0)
	if ss.reconnect {
		s.status.addReconnect()
	}
	ss.namespaces = c.Namespaces()

	rctx, cancel := ss.requestCtx(ctx)
	info, srvLimits, err := readServerInfo(rctx, c)
	cancel()
	if err != nil {
		return err
	}
	ss.limits = effectiveLimits(cfg.Limits, info, srvLimits)
	if l := s.learned.Read; l > 0 && l < ss.limits.Read {
		ss.limits.Read = l
	}
	if l := s.learned.Monitor; l > 0 && l < ss.limits.Monitor {
		ss.limits.Monitor = l
	}
	if l := s.learned.PerSubscription; l > 0 && l < ss.limits.PerSubscription {
		ss.limits.PerSubscription = l
	}
	if l := s.learned.BrowseContinuationPoints; l > 0 && (ss.limits.BrowseContinuationPoints == 0 || l < ss.limits.BrowseContinuationPoints) {
		ss.limits.BrowseContinuationPoints = l
	}
	ss.browseBudget = newContinuationBudget(ss.limits.BrowseContinuationPoints)
	// Commands use this session from now on until it ends; the handle is
	// withdrawn before the client is closed.
	if !ss.once {
		live := newLiveSession(ss)
		ss.live = live
		s.live.Store(live)
		defer s.live.CompareAndSwap(live, nil)
	}
	// What the browses learned about the server's continuation points
	// (refusals under an unknown or too high limit) holds for the next
	// session's browses too, once every node was browsed under it (a
	// server that refused every point for a while teaches nothing).
	defer func() {
		if l := ss.browseBudget.Limit(); l > 0 && l != ss.limits.BrowseContinuationPoints && ss.items != nil && len(ss.pendingBrowse) == 0 {
			s.learned.BrowseContinuationPoints = l
		}
	}()
	ss.log.Info().Str("endpoint", cfg.Endpoint).Str("server", info.String()).Str("profile", ss.limits.Profile).
		Int("read_batch", ss.limits.Read).Int("browse_batch", ss.limits.Browse).Int("monitor_batch", ss.limits.Monitor).
		Int("max_items_per_subscription", ss.limits.PerSubscription).Int("browse_continuation_points", ss.limits.BrowseContinuationPoints).
		Bool("reconnect", ss.reconnect).Msg("connected")

	start := time.Now()
	build := info.String()
	if *cfg.ReuseNodes && s.resolved.matches(ss.namespaces, build) {
		ss.items, ss.failedRoots, ss.pendingBrowse = s.resolved.take()
		ss.log.Info().Int("nodes", len(ss.items)).Int("failed_roots", len(ss.failedRoots)).
			Msg("nodes resolved: the server's namespaces and build are unchanged; reusing the last session's nodes")
	} else {
		// The old set is dropped before browsing, so that its memory can
		// be reused.
		s.resolved = nil
		roots := make([]int, len(cfg.Nodes))
		for i := range roots {
			roots[i] = i
		}
		_, ss.failedRoots, err = ss.resolveRoots(ctx, roots)
		if err != nil {
			return err
		}
		s.status.setBrowseTime(time.Since(start))
		ss.log.Info().Int("nodes", len(ss.items)).Int("failed_roots", len(ss.failedRoots)).
			Dur("took_ms", elapsed(start)).Msg("nodes resolved")
	}
	// Whatever the session adds later (failed roots resolved, items
	// found) is kept for the next one too.
	defer func() {
		s.resolved = &resolvedSet{items: ss.items, failedRoots: ss.failedRoots, pendingBrowse: ss.pendingBrowse, namespaces: ss.namespaces, build: build}
	}()
	ss.updateStatus()
	// A response the client refused (too large) leaves it without a
	// publish loop even though the browse retried in smaller requests.
	if err := ss.clientAlive(); err != nil {
		return err
	}
	ss.build = build
	if err := ss.loadStructures(ctx, build, ss.allHandles()); err != nil {
		return err
	}

	// The heartbeat runs beside the acquisition loop and reports the first
	// failed CurrentTime read: at once in the source's state, to the loop
	// on hbErr, and by ending the session's requests (lost). It is stopped
	// and waited for on return.
	hbCtx, hbCancel := context.WithCancel(ctx)
	hbErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ss.heartbeat(hbCtx); err != nil {
			s.status.sessionLost(err)
			lose(err)
			hbErr <- err
		}
	}()
	defer func() {
		hbCancel()
		wg.Wait()
	}()

	switch {
	case ss.once:
		err = ss.readOnce(ctx, true)
		ss.updateStatus()
	case cfg.Mode == ModePoll:
		err = ss.poll(ctx, hbErr)
	default:
		err = ss.subscribeLoop(ctx, hbErr)
	}
	var ee emitErr
	if errors.As(err, &ee) || ctx.Err() != nil {
		return ctx.Err()
	}
	if lerr := ss.lostErr(); lerr != nil {
		// A request ended by the heartbeat's verdict reports only that it
		// was cancelled; the verdict says why.
		return lerr
	}
	return err
}

// lostErr returns why the session was lost, or nil while it is not.
func (ss *session) lostErr() error {
	if ss.lost == nil || ss.lost.Err() == nil {
		return nil
	}
	if cause := context.Cause(ss.lost); cause != ss.lost.Err() {
		return cause
	}
	return nil
}

// sessionCtx returns ctx, also ended when the session is lost.
func (ss *session) sessionCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if ss.lost == nil {
		return context.WithCancel(ctx)
	}
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ss.lost, cancel)
	return sctx, func() { stop(); cancel() }
}

// requestCtx returns the context of one request: ctx bounded by
// RequestTimeout, also ended when the session is lost.
func (ss *session) requestCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, stop := ss.sessionCtx(ctx)
	rctx, cancel := context.WithTimeout(sctx, ss.src.cfg.RequestTimeout)
	return rctx, func() { cancel(); stop() }
}

// heartbeat reads the server's CurrentTime every Heartbeat and returns the
// first failure, or nil when ctx is done. It detects half-open TCP
// connections and dead servers that the transport does not report.
func (ss *session) heartbeat(ctx context.Context) error {
	t := time.NewTicker(ss.src.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := ss.clientAlive(); err != nil {
			return err
		}
		if err := ss.alive(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// clientAlive reports whether gopcua's client still runs its connection
// monitor and publish loop. With its auto-reconnect off, gopcua stops both
// (and marks itself Disconnected) after any error on the secure channel,
// including a bad ServiceResult of a single request such as
// BadTooManyOperations: requests still work, but subscriptions receive
// nothing more. Only a fresh client recovers, so this means reconnect.
func (ss *session) clientAlive() error {
	if st := ss.c.State(); st != gopcua.Connected {
		return deadError("gopcua client "+st.String(), nil)
	}
	return nil
}

// emitSample hands one sample downstream and counts it; an emit error (ctx
// done) is wrapped in emitErr.
func (ss *session) emitSample(ctx context.Context, smp tag.Sample) error {
	if err := ss.emit(ctx, smp); err != nil {
		return emitErr{err: err}
	}
	ss.src.status.samples.Add(1)
	return nil
}

// retryFailed re-resolves failed roots and hands failed and newly found
// items to retry (monitor or read them again).
func (ss *session) retryFailed(ctx context.Context, retry func(ctx context.Context, handles []int) error) error {
	if ss.failedCount() == 0 {
		return nil
	}
	var handles []int
	if len(ss.failedRoots) > 0 {
		added, failed, err := ss.resolveRoots(ctx, ss.failedRoots)
		if err != nil {
			return err
		}
		ss.failedRoots = failed
		handles = append(handles, added...)
	}
	if len(ss.pendingBrowse) > 0 {
		added, err := ss.retryPendingBrowse(ctx)
		if err != nil {
			return err
		}
		handles = append(handles, added...)
	}
	for h := range ss.items {
		if ss.items[h].failed {
			handles = append(handles, h)
		}
	}
	if len(handles) > 0 {
		// Items found now may be of structured types not loaded yet.
		if err := ss.loadStructures(ctx, ss.build, handles); err != nil {
			return err
		}
		if err := retry(ctx, handles); err != nil {
			return err
		}
	}
	ss.updateStatus()
	ss.log.Info().Int("retried", len(handles)).Int("still_failed", ss.failedCount()).Msg("retried failed items")
	return nil
}

// deadError wraps errDead with what went silent.
func deadError(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%s: %w", what, errDead)
	}
	return fmt.Errorf("%s: %w: %w", what, errDead, err)
}
