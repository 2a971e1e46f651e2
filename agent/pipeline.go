package agent

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/tag"
)

// Publisher is what the pipeline needs from the sink. Publish blocks while the
// sink applies backpressure; a non-nil error means the message is lost and
// the sink has already counted and logged it (e.g. ctx ended first). It must
// not retain m after it returns (the pipeline reuses the Message struct; the
// Payload and Headers it points to are never modified and may be kept).
type Publisher interface {
	Publish(ctx context.Context, m *tag.Message) error
}

// FailureHandler is told about every message the engine failed, with the
// sample it came from. It runs on the worker goroutine: it must not block
// for long.
type FailureHandler func(ctx context.Context, s *tag.Sample, f engine.Failure)

// pipeline shards samples by node over a fixed set of engine workers, so that
// messages of one node are processed and published in the order they were
// read, while different nodes use every core.
//
// The edge from sources to workers blocks: a full worker queue holds the
// source back (and the source holds the OPC UA server back), nothing is
// dropped. The edge from workers to the sink blocks too (Publisher contract).
type pipeline struct {
	log    zerolog.Logger
	engine atomic.Pointer[engine.Engine] // swapped on reload (swapEngine)
	// inUse counts, per engine, the batches in it, so swapEngine can tell
	// when the old engine counts no more.
	inUse  engineUse
	pub    Publisher
	onFail FailureHandler
	tap    func(*tag.Message) // optional, called for every published message
	queues []chan tag.Sample
	// workers[i] is the worker currently serving queues[i]; the watchdog
	// replaces one stuck in the engine (see watchStuck).
	workers []atomic.Pointer[worker]
	wg      sync.WaitGroup
	// watchMu orders the watchdog's new workers before the shutdown's
	// wait: once draining is set, no worker is added.
	watchMu   sync.Mutex
	draining  bool
	closeOnce sync.Once

	published atomic.Uint64
	// lostAtShutdown counts samples and messages still queued when the
	// shutdown deadline cut the drain short.
	lostAtShutdown atomic.Uint64
	// abandonedSamples counts samples a worker held when the watchdog
	// gave up on it (stuck in the engine): not published.
	abandonedSamples atomic.Uint64
}

func newPipeline(eng *engine.Engine, pub Publisher, workers, queueSize int, onFail FailureHandler, tap func(*tag.Message), log zerolog.Logger) *pipeline {
	p := &pipeline{log: log, pub: pub, onFail: onFail, tap: tap, queues: make([]chan tag.Sample, workers), workers: make([]atomic.Pointer[worker], workers)}
	p.engine.Store(eng)
	for i := range p.queues {
		p.queues[i] = make(chan tag.Sample, queueSize)
	}
	return p
}

// swapEngine makes eng the engine of every batch from now on. It returns
// the old engine and a channel closed once no batch is in the old engine any
// more (its counters are final then); it waits for batches in the engine,
// not for their publishing. A batch stuck in the old engine keeps the
// channel open: see retireBound.
func (p *pipeline) swapEngine(eng *engine.Engine) (old *engine.Engine, idle <-chan struct{}) {
	return p.inUse.swap(&p.engine, eng)
}

// retireBound is how long a reload waits for the old engine's batches: past
// it, the watchdog has given up on a worker stuck there (watchStuck).
func (p *pipeline) retireBound(old *engine.Engine) time.Duration {
	timeout := old.Timeout()
	return time.Duration(maxBatch)*timeout + max(timeout, time.Second) + 2*stuckCheckEvery
}

// start runs the workers. They stop when their queues are closed (after
// draining them) or when ctx ends (the drain deadline passed).
func (p *pipeline) start(ctx context.Context) {
	for i := range p.queues {
		p.startWorker(ctx, i)
	}
	go p.watchStuck(ctx)
}

// startWorker starts a worker for queues[i] and makes it the current one.
func (p *pipeline) startWorker(ctx context.Context, i int) {
	w := &worker{p: p, ctx: ctx, id: i, batch: make([]tag.Sample, 0, maxBatch)}
	if p.onFail != nil {
		w.fail = w.onFailure
	}
	p.workers[i].Store(w)
	p.wg.Add(1)
	go func() {
		if !w.work(p.queues[i]) {
			p.wg.Done()
		}
	}()
}

// emit hands a sample to the worker that owns its node. It blocks while that
// worker's queue is full and returns ctx.Err() when ctx ends first.
func (p *pipeline) emit(ctx context.Context, s tag.Sample) error {
	q := p.queues[shard(s.Node, len(p.queues))]
	select {
	case q <- s:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeIntake closes every worker queue. Call it only after every source
// has returned: a send on a closed queue panics.
func (p *pipeline) closeIntake() {
	p.stopReplacing()
	p.closeOnce.Do(func() {
		for _, q := range p.queues {
			close(q)
		}
	})
}

// wait blocks until every worker has returned.
func (p *pipeline) wait() {
	p.stopReplacing()
	p.wg.Wait()
}

// stopReplacing ends the watchdog's replacing of stuck workers, so the
// shutdown can wait for the workers there are.
func (p *pipeline) stopReplacing() {
	p.watchMu.Lock()
	p.draining = true
	p.watchMu.Unlock()
}

// waitUntil blocks until every worker has returned, or until ctx ends
// (the shutdown deadline). In the second case, a worker may be stuck in
// the engine (a script in a built-in that ignores the deadline): the
// samples it holds and those left in its queue are counted as lost at
// shutdown, the worker will publish nothing more, and waitUntil returns
// false without waiting for it; the goroutine ends with the process.
func (p *pipeline) waitUntil(ctx context.Context) bool {
	p.stopReplacing()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
	}
	for i, q := range p.queues {
		if n := p.workers[i].Load().held.Swap(0); n > 0 {
			p.lostAtShutdown.Add(uint64(n))
			p.log.Error().Int("worker", i).Int64("samples", n).Msg("shutdown deadline reached with the worker still in the engine: its samples are not published")
		}
		p.countLost(q)
	}
	return false
}

// depth returns the number of samples queued in front of the workers.
func (p *pipeline) depth() int {
	n := 0
	for _, q := range p.queues {
		n += len(q)
	}
	return n
}

// maxBatch bounds how many queued samples a worker hands the engine at
// once: the engine processes a batch with less overhead per sample, and a
// worker takes only what is already queued, so batching never waits.
const maxBatch = 64

// worker is one engine worker's state. The batch being processed lives
// here, and fail is bound once, so processing allocates nothing for the
// failure callback.
type worker struct {
	p     *pipeline
	ctx   context.Context
	id    int
	batch []tag.Sample
	fail  func(int, engine.Failure) // nil when the pipeline has no failure handler
	// held is the number of samples of batch inside the engine, and
	// since when (unix nanoseconds). Whoever takes held from that number
	// owns the batch's fate: the worker when the engine returns, or
	// waitUntil (to 0) and the watchdog (to heldAbandoned), which count
	// it as lost; a worker that finds held taken returns without
	// publishing.
	held  atomic.Int64
	since atomic.Int64
}

func (w *worker) onFailure(i int, f engine.Failure) { w.p.onFail(w.ctx, &w.batch[i], f) }

// next fills the worker's batch: it waits for one sample, then takes what
// else is queued, up to maxBatch. closed reports that q was closed (the
// batch holds what was left); stop that ctx ended first.
func (w *worker) next(q <-chan tag.Sample) (closed, stop bool) {
	w.batch = w.batch[:0]
	select {
	case s, ok := <-q:
		if !ok {
			return true, false
		}
		w.batch = append(w.batch, s)
	case <-w.ctx.Done():
		return false, true
	}
	for len(w.batch) < maxBatch {
		select {
		case s, ok := <-q:
			if !ok {
				return true, false
			}
			w.batch = append(w.batch, s)
		default:
			return false, false
		}
	}
	return false, false
}

// heldAbandoned is worker.held of a worker the watchdog gave up on: it
// left the pipeline's wait group already.
const heldAbandoned = -1

// work serves q until it is closed or ctx ends. It reports whether the
// watchdog abandoned it meanwhile (then it left the wait group already).
func (w *worker) work(q <-chan tag.Sample) (abandoned bool) {
	p, ctx := w.p, w.ctx
	var msgs []tag.Message
	log := p.log.With().Int("worker", w.id).Logger()
	for {
		closed, stop := w.next(q)
		if stop {
			p.countLost(q)
			return
		}
		if len(w.batch) > 0 {
			w.since.Store(time.Now().UnixNano())
			w.held.Store(int64(len(w.batch)))
			eng := p.inUse.acquire(&p.engine)
			msgs = eng.ProcessBatch(w.batch, msgs[:0], w.fail)
			p.inUse.release(eng)
			switch w.held.Swap(0) {
			case heldAbandoned:
				// The watchdog counted this batch as lost while it
				// was in the engine; another worker serves q now.
				return true
			case 0:
				// The shutdown deadline passed (see waitUntil).
				return false
			}
		}
		for i := range msgs {
			m := &msgs[i]
			if err := p.pub.Publish(ctx, m); err != nil {
				// The sink has counted and logged this message as lost.
				if ctx.Err() != nil {
					// The drain deadline passed: the rest of this batch's
					// messages and of the queue are lost too, and counted.
					p.lostAtShutdown.Add(uint64(len(msgs) - i - 1))
					p.countLost(q)
					log.Error().Err(err).Str("subject", m.Subject).Msg("shutdown deadline reached while publishing")
					return
				}
				continue
			}
			p.published.Add(1)
			if p.tap != nil {
				p.tap(m)
			}
		}
		// Drop references to payloads and samples so the GC can reclaim
		// them.
		clear(msgs)
		msgs = msgs[:0]
		clear(w.batch)
		if closed {
			return
		}
	}
}

// countLost counts (and empties) what is left in q once the drain has been
// cut short.
func (p *pipeline) countLost(q <-chan tag.Sample) {
	n := 0
drain:
	for {
		select {
		case _, ok := <-q:
			if !ok {
				break drain
			}
			n++
		default:
			break drain
		}
	}
	if n > 0 {
		p.lostAtShutdown.Add(uint64(n))
		p.log.Error().Int("samples", n).Msg("shutdown deadline reached: queued samples not processed")
	}
}

// shard maps a node to a worker: FNV-1a over source and node id, computed
// without allocating.
func shard(n *tag.Node, workers int) int {
	if workers == 1 || n == nil {
		return 0
	}
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	src := n.Source()
	for i := 0; i < len(src); i++ {
		h = (h ^ uint64(src[i])) * prime
	}
	h = (h ^ '|') * prime
	for i := 0; i < len(n.ID); i++ {
		h = (h ^ uint64(n.ID[i])) * prime
	}
	return int(h % uint64(workers))
}

// stuckCheckEvery is how often the watchdog looks at the workers.
const stuckCheckEvery = 500 * time.Millisecond

// watchStuck gives up on a worker whose batch has been in the engine
// longer than every sample's deadline plus a grace (its runtime is stuck in
// a built-in that ignores the deadline): the samples it holds are counted
// as lost (abandonedSamples) and a new worker takes over its queue, so the
// source is not held back by one stuck script. The engine replaces the
// stuck runtime on its own (see engine.Engine.Stuck). It returns when ctx
// ends.
func (p *pipeline) watchStuck(ctx context.Context) {
	t := time.NewTicker(stuckCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.replaceStuck(ctx)
	}
}

// replaceStuck is one look of watchStuck at every worker.
func (p *pipeline) replaceStuck(ctx context.Context) {
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	if p.draining {
		return
	}
	timeout := p.engine.Load().Timeout()
	grace := max(timeout, time.Second)
	now := time.Now().UnixNano()
	for i := range p.workers {
		w := p.workers[i].Load()
		n := w.held.Load()
		if n <= 0 || time.Duration(now-w.since.Load()) <= time.Duration(n)*timeout+grace {
			continue
		}
		if !w.held.CompareAndSwap(n, heldAbandoned) {
			continue // it just returned
		}
		p.abandonedSamples.Add(uint64(n))
		p.log.Error().Int("worker", i).Int64("samples", n).
			Msg("a worker is stuck in the engine past every deadline: its samples are dropped and a new worker serves its queue")
		p.startWorker(ctx, i)
		p.wg.Done() // for the abandoned worker, after the new one joined
	}
}
