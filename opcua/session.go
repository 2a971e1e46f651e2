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
// connection fails or ctx is done, then close. A new session (fresh client,
// fresh secure channel, re-browsed roots, new subscription) is built for
// every reconnect, which also recovers from a server that came back with a
// new certificate. All fields are owned by the goroutine calling run; the
// heartbeat goroutine only uses c.
type session struct {
	src       *Source
	emit      Emit
	reconnect bool // a session was connected before this one
	connected bool // this session got as far as an active session

	log        zerolog.Logger
	c          *gopcua.Client
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

	// Subscribe mode: the subscriptions, all delivering to notifs, and
	// the notifications taken off notifs while a subscription was created
	// (see subscribe), handled before notifs.
	subs    []*subscription
	notifs  chan *gopcua.PublishNotificationData
	pending []*gopcua.PublishNotificationData
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
	defer func() {
		closeClient(c, cfg.RequestTimeout)
		ss.log.Debug().Msg("session closed")
	}()
	ss.connected = true
	s.status.setSubscriptions(0)
	if ss.reconnect {
		s.status.addReconnect()
	}
	ss.namespaces = c.Namespaces()

	rctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
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
	ss.browseBudget = newContinuationBudget(ss.limits.BrowseContinuationPoints)
	ss.log.Info().Str("endpoint", cfg.Endpoint).Str("server", info.String()).Str("profile", ss.limits.Profile).
		Int("read_batch", ss.limits.Read).Int("browse_batch", ss.limits.Browse).Int("monitor_batch", ss.limits.Monitor).
		Int("max_items_per_subscription", ss.limits.PerSubscription).Int("browse_continuation_points", ss.limits.BrowseContinuationPoints).
		Bool("reconnect", ss.reconnect).Msg("connected")

	roots := make([]int, len(cfg.Nodes))
	for i := range roots {
		roots[i] = i
	}
	start := time.Now()
	_, ss.failedRoots, err = ss.resolveRoots(ctx, roots)
	if err != nil {
		return err
	}
	s.status.setBrowseTime(time.Since(start))
	ss.log.Info().Int("nodes", len(ss.items)).Int("failed_roots", len(ss.failedRoots)).
		Dur("took", elapsed(start)).Msg("nodes resolved")
	ss.updateStatus()
	// A response the client refused (too large) leaves it without a
	// publish loop even though the browse retried in smaller requests.
	if err := ss.clientAlive(); err != nil {
		return err
	}

	// The heartbeat runs beside the acquisition loop and reports the first
	// failed CurrentTime read; it is stopped and waited for on return.
	hbCtx, hbCancel := context.WithCancel(ctx)
	hbErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ss.heartbeat(hbCtx); err != nil {
			hbErr <- err
		}
	}()
	defer func() {
		hbCancel()
		wg.Wait()
	}()

	if cfg.Mode == ModePoll {
		err = ss.poll(ctx, hbErr)
	} else {
		err = ss.subscribeLoop(ctx, hbErr)
	}
	var ee emitErr
	if errors.As(err, &ee) || ctx.Err() != nil {
		return ctx.Err()
	}
	return err
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
