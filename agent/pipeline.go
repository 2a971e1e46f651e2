package agent

import (
	"context"
	"sync"
	"sync/atomic"

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
	// inEngine is read-held by a worker while its batch is in the engine,
	// so swapEngine can wait until the old engine counts no more.
	inEngine sync.RWMutex
	pub      Publisher
	onFail   FailureHandler
	tap      func(*tag.Message) // optional, called for every published message
	queues   []chan tag.Sample
	wg       sync.WaitGroup
	closeMu  sync.Once

	published atomic.Uint64
	// lostAtShutdown counts samples and messages still queued when the
	// shutdown deadline cut the drain short.
	lostAtShutdown atomic.Uint64
}

func newPipeline(eng *engine.Engine, pub Publisher, workers, queueSize int, onFail FailureHandler, tap func(*tag.Message), log zerolog.Logger) *pipeline {
	p := &pipeline{log: log, pub: pub, onFail: onFail, tap: tap, queues: make([]chan tag.Sample, workers)}
	p.engine.Store(eng)
	for i := range p.queues {
		p.queues[i] = make(chan tag.Sample, queueSize)
	}
	return p
}

// swapEngine makes eng the engine of every batch from now on and returns
// the old one once no batch is in it any more: its counters are final. It
// waits for batches in the engine, not for their publishing.
func (p *pipeline) swapEngine(eng *engine.Engine) *engine.Engine {
	old := p.engine.Swap(eng)
	// Empty on purpose: taking the lock waits for every batch that may
	// have loaded the old engine.
	p.inEngine.Lock()
	p.inEngine.Unlock()
	return old
}

// start runs the workers. They stop when their queues are closed (after
// draining them) or when ctx ends (the drain deadline passed).
func (p *pipeline) start(ctx context.Context) {
	for i, q := range p.queues {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.work(ctx, i, q)
		}()
	}
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
	p.closeMu.Do(func() {
		for _, q := range p.queues {
			close(q)
		}
	})
}

// wait blocks until every worker has returned.
func (p *pipeline) wait() { p.wg.Wait() }

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
	batch []tag.Sample
	fail  func(int, engine.Failure) // nil when the pipeline has no failure handler
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

func (p *pipeline) work(ctx context.Context, id int, q <-chan tag.Sample) {
	var msgs []tag.Message
	log := p.log.With().Int("worker", id).Logger()
	w := &worker{p: p, ctx: ctx, batch: make([]tag.Sample, 0, maxBatch)}
	if p.onFail != nil {
		w.fail = w.onFailure
	}
	for {
		closed, stop := w.next(q)
		if stop {
			p.countLost(q)
			return
		}
		if len(w.batch) > 0 {
			p.inEngine.RLock()
			msgs = p.engine.Load().ProcessBatch(w.batch, msgs[:0], w.fail)
			p.inEngine.RUnlock()
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
