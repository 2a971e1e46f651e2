package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/agent/statuspage"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/redact"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/sink"
	"github.com/edgetag/edgetag/tag"
)

// ErrShutdownTimeout is returned by Run when the ordered shutdown did not
// finish within Config.ShutdownTimeout; what was still queued is counted as
// lost (metric edgetag_lost_at_shutdown_total) and logged.
var ErrShutdownTimeout = errors.New("shutdown deadline exceeded")

// Options are the agent's optional collaborators; the zero value is fine.
type Options struct {
	// Tap, when set, receives a rate-limited live view of what is published
	// (subject → value), e.g. the terminal.
	Tap io.Writer
	// TapRate bounds the lines written to Tap per second (default 5).
	TapRate int
}

// Agent runs one site: the simulator (optional), the OPC UA sources, the tag
// engine workers and the NATS sink, plus the HTTP endpoints.
type Agent struct {
	log  zerolog.Logger
	opts Options

	// mu guards cfg, sources and the reload channel's consumer state.
	mu      sync.Mutex
	cfg     *siteconfig.Config
	sources map[string]*runningSource

	sink    *sink.Sink
	sim     *sim.Server
	pipe    *pipeline
	metrics *metrics
	// carried keeps the counters of engines and sources that reloads
	// replaced.
	carried  carried
	reloadCh chan reloadRequest

	ready chan struct{} // closed once everything is started

	// scrub removes the config's secrets from text served over HTTP.
	scrub *redact.Scrubber

	// page is the status page's live table and its event streams, nil
	// without an HTTP listener; failures and rates feed /api/status.
	page     *statuspage.Page
	failures recentFailures
	rates    rates

	// site and errorsSubject are fixed for the agent's life (nats settings
	// change only on restart), so workers read them without a lock.
	site          string
	errorsSubject string

	// mem applies memory_limit to the runtime (process-wide).
	mem memoryGovernor
	// commands is the command service once Run started it (commandsvc.go).
	commands commandService
}

type runningSource struct {
	cfg    opcua.Config
	src    *opcua.Source
	cancel context.CancelFunc
	done   chan struct{}
}

type reloadRequest struct {
	cfg   *siteconfig.Config
	reply chan error
}

// New validates that every component can be built from cfg (the engine is
// compiled here, so a script error fails New); it starts nothing.
func New(cfg *siteconfig.Config, log zerolog.Logger, opts Options) (*Agent, error) {
	if cfg == nil {
		return nil, errors.New("agent: nil config")
	}
	eng, err := engine.New(cfg.Engine, log.With().Str("component", "engine").Logger())
	if err != nil {
		return nil, fmt.Errorf("tag_processor: %w", err)
	}
	snk, err := sink.New(cfg.NATS, log.With().Str("component", "sink").Logger())
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	a := &Agent{
		log:      log,
		mem:      memoryGovernor{log: log},
		opts:     opts,
		cfg:      cfg,
		sources:  map[string]*runningSource{},
		sink:     snk,
		reloadCh: make(chan reloadRequest),
		ready:    make(chan struct{}),
		scrub:    cfg.Scrubber(),

		site:          cfg.Site,
		errorsSubject: cfg.NATS.ErrorsSubject,
	}
	if cfg.Simulator != nil {
		a.sim, err = sim.New(*cfg.Simulator, log) // it tags its own log lines
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	queue := cfg.QueueSize
	if queue <= 0 {
		queue = siteconfig.DefaultQueueSize
	}
	var taps []func(*tag.Message)
	if opts.Tap != nil {
		taps = append(taps, newTap(opts.Tap, opts.TapRate).show)
	}
	if cfg.HTTPListen != "" {
		a.page = statuspage.New(LiveSubjects, statuspage.HubConfig{})
		taps = append(taps, a.showLive)
	}
	var tap func(*tag.Message)
	switch len(taps) {
	case 1:
		tap = taps[0]
	case 2:
		tap = func(m *tag.Message) { taps[0](m); taps[1](m) }
	}
	a.pipe = newPipeline(eng, snk, workers, queue, a.onFailure, tap, log.With().Str("component", "pipeline").Logger())
	a.metrics = newMetrics(a)
	return a, nil
}

// defaultWorkers is one engine worker per core.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// Ready is closed once the agent has started every component.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// SinkURL is the NATS URL local clients can subscribe on.
func (a *Agent) SinkURL() string { return a.sink.ClientURL() }

// Run starts everything and blocks until ctx is cancelled or a component
// fails fatally. It then shuts down in order — stop the sources (closing
// their sessions), drain the engine workers, flush the sink and wait for
// acks, stop the simulator and HTTP — within Config.ShutdownTimeout. It
// returns nil after a clean shutdown on cancellation, ErrShutdownTimeout if
// the deadline cut the drain short, or the fatal error.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	cfg := a.cfg
	a.mu.Unlock()

	a.mem.apply(cfg.MemoryLimit, os.Getenv)
	for _, w := range cfg.Warnings() {
		a.log.Warn().Str("key", w.Path).Msg(w.Msg)
	}

	// work lives until the drain is over (or its deadline); it is not ctx,
	// which only says "stop intake".
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	// The memory governor follows the live heap until Run returns.
	memCtx, stopMem := context.WithCancel(work)
	memDone := make(chan struct{})
	go func() {
		defer close(memDone)
		a.mem.run(memCtx)
	}()
	defer func() {
		stopMem()
		<-memDone
	}()

	if err := a.sink.Start(work); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	a.log.Info().Str("url", a.sink.ClientURL()).Msg("nats ready")

	// Sources, the simulator and HTTP run under one errgroup: the first fatal
	// error stops intake and triggers the ordered shutdown.
	g, gctx := errgroup.WithContext(ctx)
	var simDone chan struct{}
	simCtx, stopSim := context.WithCancel(work)
	defer stopSim()
	// abort undoes what was started when a later start fails.
	abort := func(err error) error {
		a.pipe.closeIntake()
		a.pipe.wait()
		stopSim()
		if simDone != nil {
			<-simDone
		}
		_ = a.sink.Close()
		return err
	}
	if a.sim != nil {
		if err := a.sim.Start(simCtx); err != nil {
			return abort(fmt.Errorf("simulator: %w", err))
		}
		simDone = make(chan struct{})
		go func() {
			defer close(simDone)
			if err := a.sim.Run(simCtx); err != nil && simCtx.Err() == nil {
				a.log.Error().Err(err).Msg("simulator stopped")
			}
		}()
	}

	a.pipe.start(work)

	// stopBy is the end of shutdown_timeout once the shutdown began.
	var stopBy time.Time
	if cfg.HTTPListen != "" {
		srv, err := a.serveHTTP(work, cfg)
		if err != nil {
			return abort(fmt.Errorf("http: %w", err))
		}
		// HTTP stops last, so /metrics shows the shutdown to the end.
		defer func() {
			by := time.Now().Add(time.Second)
			if !stopBy.IsZero() {
				by = stopBy
			}
			sctx, cancel := context.WithDeadline(context.Background(), by)
			defer cancel()
			srv.shutdown(sctx)
		}()
	}

	a.mu.Lock()
	for _, sc := range cfg.Sources {
		a.startSourceLocked(gctx, g, sc)
	}
	a.mu.Unlock()
	stopCommands, err := a.startCommands(work, cfg)
	if err != nil {
		a.stopAllSources()
		_ = g.Wait()
		return abort(fmt.Errorf("commands: %w", err))
	}
	close(a.ready)

	// Reloads are applied by this goroutine only, so source bookkeeping has
	// one writer.
	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case req := <-a.reloadCh:
				req.reply <- a.applyReload(gctx, g, req.cfg)
			}
		}
	})

	<-gctx.Done()
	fatal := context.Cause(gctx)
	if errors.Is(fatal, context.Canceled) && ctx.Err() != nil {
		fatal = nil
	}
	a.log.Info().Msg("shutting down: stopping intake")

	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = siteconfig.DefaultShutdownTimeout
	}
	// The drain ends closeReserve before shutdown_timeout, so closing
	// NATS and HTTP after a drain cut short still fits in it.
	stopBy = time.Now().Add(timeout)
	deadline := stopBy.Add(-closeReserve(timeout))
	timer := time.AfterFunc(time.Until(deadline), cancelWork)
	defer timer.Stop()

	// 0. Stop taking commands, so none reaches a session being closed.
	stopCommands()

	// 1. Stop intake: every source returns after closing its session. The
	// wait is bounded by the deadline; a source still stuck then (a server
	// that never answers CloseSession) is logged and left behind.
	groupDone := make(chan error, 1)
	go func() {
		a.stopAllSources()
		groupDone <- g.Wait()
	}()
	sourcesStopped := false
	select {
	case groupErr := <-groupDone:
		sourcesStopped = true
		if fatal == nil {
			fatal = groupErr
		}
	case <-work.Done():
		a.log.Error().Msg("shutdown deadline reached while stopping the sources")
	}
	// 2. Drain the engine workers. Their queues are closed only when no
	// source can send any more; otherwise the passed deadline (work is
	// done) stops the workers and what is queued is counted as lost.
	if sourcesStopped {
		a.pipe.closeIntake()
	}
	if !a.pipe.waitUntil(work) {
		a.log.Error().Msg("shutdown deadline reached while the engine was still running")
	}
	// 3. Flush the sink: wait for acks of everything published.
	flushErr := a.sink.Flush(work)
	awaiting := a.sink.Stats().AcksPending
	lostBefore := a.sink.Stats().Lost[sink.LostUnackedAtClose]
	timedOut := work.Err() != nil
	if err := a.sink.Close(); err != nil {
		a.log.Error().Err(err).Msg("closing nats")
	}
	if flushErr != nil {
		// Acks still arrive while Close drains the connection: only what
		// Close found unacked is lost (and counted by the sink).
		lost := a.sink.Stats().Lost[sink.LostUnackedAtClose] - lostBefore
		ev := a.log.Warn()
		if lost > 0 {
			ev = a.log.Error()
		}
		ev.Err(flushErr).Int("awaiting_acks", awaiting).Uint64("lost_unacked", lost).
			Msg("flush before shutdown incomplete; acks that arrived while the connection drained are not lost")
	}
	// 4. The simulator goes last so sources could close their sessions on it.
	stopSim()
	if simDone != nil {
		select {
		case <-simDone:
		case <-work.Done():
			a.log.Error().Msg("shutdown deadline reached while stopping the simulator")
		}
	}
	timedOut = timedOut || work.Err() != nil
	cancelWork()
	if fatal != nil {
		return fatal
	}
	if timedOut {
		return fmt.Errorf("%w (%s)", ErrShutdownTimeout, cfg.ShutdownTimeout)
	}
	a.log.Info().Uint64("published", a.pipe.published.Load()).Msg("shutdown complete")
	return nil
}

// closeReserve is the part of shutdown_timeout kept for closing NATS and
// HTTP after the drain: a fifth of it, at most a second.
func closeReserve(timeout time.Duration) time.Duration { return min(timeout/5, time.Second) }

// Reload applies a new, already validated config: the engine is swapped
// without losing a message (workers pick the new engine up from the next
// sample on), sources whose settings changed are restarted, new ones started,
// removed ones stopped. Settings that need a restart (nats, http, simulator,
// workers) are kept as they are, with a warning. It returns an error (and
// keeps everything as it was) when the new engine does not compile.
func (a *Agent) Reload(ctx context.Context, cfg *siteconfig.Config) error {
	req := reloadRequest{cfg: cfg, reply: make(chan error, 1)}
	select {
	case a.reloadCh <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *Agent) applyReload(ctx context.Context, g *errgroup.Group, cfg *siteconfig.Config) error {
	eng, err := engine.New(cfg.Engine, a.log.With().Str("component", "engine").Logger())
	if err != nil {
		return fmt.Errorf("tag_processor: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.cfg
	for _, w := range restartOnly(old, cfg) {
		a.log.Warn().Str("key", w).Msg("reload: this setting changes only on restart; keeping the running one")
	}
	retired := a.pipe.engine.Load()
	if !a.carried.retireEngine(func() (*engine.Engine, <-chan struct{}) { return a.pipe.swapEngine(eng) }, a.pipe.retireBound(retired)) {
		a.log.Warn().Msg("reload: a batch is still stuck in the replaced tag engine; what it counts from now on is not in the metrics")
	}
	if cfg.MemoryLimit != old.MemoryLimit {
		if cfg.MemoryLimit == 0 {
			a.log.Warn().Str("key", "memory_limit").Msg("reload: removing the memory limit takes a restart; keeping the running one")
		}
		a.mem.apply(cfg.MemoryLimit, os.Getenv)
	}

	want := map[string]opcua.Config{}
	for _, sc := range cfg.Sources {
		want[sc.Name] = sc
	}
	for name, rs := range a.sources {
		sc, keep := want[name]
		if keep && sourceConfigEqual(rs.cfg, sc) {
			continue
		}
		a.log.Info().Str("source", name).Bool("removed", !keep).Msg("reload: stopping source")
		rs.cancel()
		<-rs.done
		a.carried.addSource(rs.src.Status())
		delete(a.sources, name)
	}
	for _, sc := range cfg.Sources {
		if _, running := a.sources[sc.Name]; !running {
			a.log.Info().Str("source", sc.Name).Msg("reload: starting source")
			a.startSourceLocked(ctx, g, sc)
		}
	}
	merged := *old
	merged.Engine = cfg.Engine
	merged.Sources = cfg.Sources
	merged.NodesFiles = cfg.NodesFiles
	merged.MemoryLimit = cfg.MemoryLimit
	a.cfg = &merged
	a.log.Info().Msg("reload applied")
	return nil
}

// startSourceLocked starts one source under g. A source's Run returns an
// error only for a fatal problem, which stops the agent. a.mu is held.
func (a *Agent) startSourceLocked(ctx context.Context, g *errgroup.Group, sc opcua.Config) {
	log := a.log.With().Str("component", "opcua").Str("source", sc.Name).Logger()
	src, err := opcua.NewSource(sc, log)
	if err != nil {
		g.Go(func() error { return fmt.Errorf("source %q: %w", sc.Name, err) })
		return
	}
	sctx, cancel := context.WithCancel(ctx)
	rs := &runningSource{cfg: sc, src: src, cancel: cancel, done: make(chan struct{})}
	a.sources[sc.Name] = rs
	g.Go(func() error {
		defer close(rs.done)
		if err := src.Run(sctx, a.pipe.emit); err != nil && sctx.Err() == nil {
			return fmt.Errorf("source %q: %w", sc.Name, err)
		}
		return nil
	})
}

func (a *Agent) stopAllSources() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, rs := range a.sources {
		rs.cancel()
	}
	for _, rs := range a.sources {
		<-rs.done
	}
}

// sourceStatuses returns a snapshot of every running source.
func (a *Agent) sourceStatuses() []opcua.Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]opcua.Status, 0, len(a.sources))
	for _, rs := range a.sources {
		out = append(out, a.carried.sourceStatus(rs.src.Status()))
	}
	return out
}
