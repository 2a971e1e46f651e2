package engine

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/edgetag/edgetag/tag"
)

// Log rate limits: failure lines per stage, console lines per engine.
const (
	failLogEvery    = time.Second
	failLogBurst    = 10
	consoleLogEvery = 10 * time.Millisecond
	consoleLogBurst = 100
)

// Engine runs the compiled tag_processor on a bounded pool of runtimes.
// It is safe for concurrent use.
type Engine struct {
	log     zerolog.Logger
	prefix  string
	timeout time.Duration
	// maxPayload bounds a published payload's encoded bytes.
	maxPayload int
	// stages in pipeline order; see stage.
	stages []*stage
	conds  int
	// useDriver runs samples inside the runtime's driver function; it
	// pays off only with more than one stage function called per sample
	// (a cacheable one mostly is not).
	useDriver bool
	// pool hands out the runtimes; rts holds all of them (for Stats and
	// Close).
	pool  *runtimePool
	rtsMu sync.Mutex
	// rts is guarded by rtsMu: the watchdog appends replacements.
	rts []*jsRuntime
	// stuck counts abandoned runtimes still running; abandonedTotal all
	// abandoned ones (see watchdog.go).
	stuck          atomic.Int64
	abandonedTotal atomic.Uint64
	grace          time.Duration // 0: see abandonGrace

	// nodes holds the per-node state all runtimes share.
	nodes nodeTable

	cache             *jsCache
	consoleLimit      *rate.Limiter
	consoleSuppressed atomic.Uint64

	// headers selects the meta keys published as headers;
	// subjectInHeaders is set when it includes every meta key of the
	// subject.
	headers          headerSet
	subjectInHeaders bool

	// subjects finds nodes that publish on another node's subject.
	subjects *subjectOwners
	// bad drops samples with a Bad status (see badstatus.go).
	bad *badFilter
	// statusNames is Config.StatusName.
	statusNames func(code uint32) string
}

// New compiles every snippet of cfg and prepares the runtime pool. It returns
// every compile error at once (each a *CompileError, joined).
//
// An empty defaults or advancedProcessing is skipped; a condition needs both
// an if and a then. Condition stages are named with 0-based indexes:
// conditions[0].if is the first condition's if.
func New(cfg Config, log zerolog.Logger) (*Engine, error) {
	e := &Engine{
		log:          log,
		prefix:       cfg.SubjectPrefix,
		timeout:      cfg.Timeout,
		cache:        newCache(cmp.Or(cfg.CacheMaxBytes, DefaultCacheMaxBytes)),
		conds:        len(cfg.Conditions),
		consoleLimit: rate.NewLimiter(rate.Every(consoleLogEvery), consoleLogBurst),
		headers:      newHeaderSet(cfg.Headers),
		subjects:     newSubjectOwners(log),
		bad:          newBadFilter(cfg.BadStatus),
		statusNames:  cfg.StatusName,
	}
	e.subjectInHeaders = e.headers.has(MetaLocationPath) && e.headers.has(MetaDataContract) &&
		e.headers.has(MetaVirtualPath) && e.headers.has(MetaUNSTagName)
	if e.prefix == "" {
		e.prefix = DefaultSubjectPrefix
	}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	var errs []error
	switch e.maxPayload = cfg.MaxPayloadBytes; {
	case e.maxPayload == 0:
		e.maxPayload = DefaultMaxPayloadBytes
	case e.maxPayload < 0 || e.maxPayload > HardMaxPayloadBytes:
		errs = append(errs, fmt.Errorf("max_payload_bytes: %d is outside 1..%d", e.maxPayload, HardMaxPayloadBytes))
	}
	if cfg.CacheMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("cache_max_bytes: %d is negative", cfg.CacheMaxBytes))
	}
	if err := ValidateSubjectPrefix(e.prefix); err != nil {
		errs = append(errs, fmt.Errorf("subject_prefix: %w", err))
	}
	if b := cfg.BadStatus; b != "" && b != BadStatusDrop && b != BadStatusKeep {
		errs = append(errs, fmt.Errorf("bad_status %q: want %s or %s", b, BadStatusDrop, BadStatusKeep))
	}
	add := func(name string, kind stageKind, sn Snippet, required bool) {
		st := &stage{name: name, limit: rate.NewLimiter(rate.Every(failLogEvery), failLogBurst)}
		e.stages = append(e.stages, st)
		if strings.TrimSpace(sn.Code) == "" {
			if required {
				errs = append(errs, &CompileError{Stage: name, File: sn.File, FileLine: sn.Line, Err: errors.New("snippet is empty")})
			}
			return
		}
		s, err := compileScript(name, kind, sn, !cfg.NoShortcuts)
		if err != nil {
			errs = append(errs, err)
			return
		}
		st.script = s
	}
	add(StageDefaults, kindBody, cfg.Defaults, false)
	for i, c := range cfg.Conditions {
		n := "conditions[" + strconv.Itoa(i) + "]"
		add(n+".if", kindExpr, c.If, true)
		add(n+".then", kindBody, c.Then, true)
	}
	add(StageAdvancedProcessing, kindBody, cfg.AdvancedProcessing, false)
	e.stages = append(e.stages, &stage{name: StageFinalize, limit: rate.NewLimiter(rate.Every(failLogEvery), failLogBurst)})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	scripts := 0
	for _, st := range e.stages {
		if s := st.script; s != nil && !s.metaOnly && s.cmp == nil && s.arith == nil {
			scripts++
		}
	}
	e.useDriver = scripts > 1

	n := cfg.Runtimes
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	for range n {
		rt, err := e.newRuntime()
		if err != nil {
			e.Close()
			return nil, err
		}
		e.rts = append(e.rts, rt)
	}
	e.pool = newRuntimePool(e.rts)
	return e, nil
}

// Close releases the runtimes' timers. It must be called only when no
// Process call is running; the engine must not be used after.
func (e *Engine) Close() {
	e.rtsMu.Lock()
	defer e.rtsMu.Unlock()
	for _, rt := range e.rts {
		rt.close()
	}
}

// emptyNode stands in for a sample without a node.
var emptyNode = &tag.Node{}

// withNode returns s, or a copy of it with emptyNode when it has no node.
func withNode(s *tag.Sample) *tag.Sample {
	if s.Node != nil {
		return s
	}
	sc := *s
	sc.Node = emptyNode
	return &sc
}

// Process runs all stages for one sample and appends the resulting messages
// to dst, returning the extended slice. Every message that fails is reported
// to fail (which may be nil) and counted; it never affects the others. It
// blocks only while waiting for a free runtime and for at most the
// configured timeout while scripts run.
func (e *Engine) Process(s *tag.Sample, dst []tag.Message, fail func(Failure)) []tag.Message {
	rt := e.pool.get()
	dst = rt.process(s, dst, fail)
	e.release(rt)
	return dst
}

// ProcessBatch is Process for each sample of ss in order, on one runtime:
// the messages of all samples are appended to dst in sample order, and a
// failure is reported to fail (which may be nil) with the index in ss of
// its sample. Each sample keeps its own deadline and its failures to
// itself. A batch enters the runtime once, which saves per-sample setup
// and allocations; callers that have several samples at hand should
// prefer it.
func (e *Engine) ProcessBatch(ss []tag.Sample, dst []tag.Message, fail func(i int, f Failure)) []tag.Message {
	if len(ss) == 0 {
		return dst
	}
	rt := e.pool.get()
	rt.bfail = fail
	dst = rt.run(ss, dst)
	rt.bfail = nil
	e.release(rt)
	return dst
}

// process runs one sample on rt.
func (rt *jsRuntime) process(s *tag.Sample, dst []tag.Message, fail func(Failure)) []tag.Message {
	if !rt.e.useDriver {
		// At most one script call per sample: no driver needed.
		rt.samples.Add(1)
		dst = rt.pipeline(withNode(s), dst, fail) // arms before its first script call
		rt.disarm()
		return dst
	}
	rt.pfail = fail
	rt.one[0] = *s
	dst = rt.run(rt.one[:], dst)
	rt.one[0] = tag.Sample{}
	rt.pfail = nil
	return dst
}

// run processes the samples of ss in order inside the driver.
func (rt *jsRuntime) run(ss []tag.Sample, dst []tag.Message) []tag.Message {
	rt.samples.Add(uint64(len(ss)))
	rt.batch, rt.bi, rt.cdst = ss, 0, dst
	for rt.bi < len(ss) {
		start := rt.bi
		_, _ = rt.driver(goja.Undefined(), rt.dargs[:]...) // failures are reported by pipeline
		if rt.bi == start {
			// The driver could not start (it cannot fail, but never
			// lose a sample silently): run the sample from here.
			rt.vm.ClearInterrupt()
			rt.step()
		}
	}
	dst = rt.cdst
	rt.batch, rt.cdst = nil, nil
	return dst
}

// step runs the batch's next sample under its own deadline.
func (rt *jsRuntime) step() {
	s := withNode(&rt.batch[rt.bi])
	rt.bi++
	rt.cdst = rt.pipeline(s, rt.cdst, rt.reportFn) // arms before its first script call
	rt.disarm()
}

// reportFailure hands a failure of the batch's current sample to the
// caller's callback.
func (rt *jsRuntime) reportFailure(f Failure) {
	switch {
	case rt.bfail != nil:
		rt.bfail(rt.bi-1, f)
	case rt.pfail != nil:
		rt.pfail(f)
	}
}

// pipeline builds msg, runs the stages in order on the list of messages
// (which fan-out may grow), then finalizes each.
func (rt *jsRuntime) pipeline(s *tag.Sample, dst []tag.Message, fail func(Failure)) (out []tag.Message) {
	if s.Status != 0 && rt.e.droppedBad(s) { // 0 is Good
		return dst
	}
	rt.node = s.Node
	rt.stage = 0
	n := len(dst)
	defer func() {
		// A panic outside the scripts (a value the conversion cannot
		// handle, a bug) fails this sample only; its partial output is
		// dropped.
		if r := recover(); r != nil {
			idx := rt.stage
			if isInterrupt(r) {
				// The deadline hit Go code walking a script value (a
				// getter or Proxy trap that loops).
				rt.report(rt.timeoutFailure(idx), idx, fail)
			} else {
				err, ok := r.(error)
				if !ok {
					err = fmt.Errorf("%v", r)
				}
				rt.report(Failure{Stage: rt.e.stages[idx].name, Reason: ReasonConversion,
					Err: fmt.Errorf("node %s: internal error: %w", s.Node.ID, err)}, idx, fail)
			}
			clear(rt.cur[:cap(rt.cur)])
			clear(rt.next[:cap(rt.next)])
			rt.cur, rt.next = rt.cur[:0], rt.next[:0]
			out = dst[:n]
		}
	}()
	rt.orig = toJS(rt.vm, sampleValue(s))
	rt.msg.payload, rt.msg.meta, rt.msg.touched = rt.orig, rt.metaObj, false
	rt.msg.extra = rt.msg.extra[:0]
	rt.fillMeta(&rt.meta, s)
	if rt.msgObj.Prototype() != rt.objProto {
		_ = rt.msgObj.SetPrototype(rt.objProto)
	}
	if rt.metaObj.Prototype() != rt.objProto {
		_ = rt.metaObj.SetPrototype(rt.objProto)
	}

	cur := append(rt.cur[:0], rt.msgObj)
	next := rt.next[:0]
	if rt.fns[0] != nil {
		next = rt.runStage(0, cur, next[:0], fail)
		cur, next = next, cur
	}
	for k := 0; k < rt.e.conds && len(cur) > 0; k++ {
		next = rt.runCondition(1+2*k, cur, next[:0], fail)
		cur, next = next, cur
	}
	if adv := 1 + 2*rt.e.conds; rt.fns[adv] != nil && len(cur) > 0 {
		next = rt.runStage(adv, cur, next[:0], fail)
		cur, next = next, cur
	}
	for _, m := range cur {
		dst = rt.finalize(s, m, dst, fail)
	}
	clear(cur)
	clear(next[:cap(next)])
	rt.cur, rt.next = cur[:0], next[:0]
	rt.orig = nil
	rt.msg.payload, rt.msg.meta = nil, nil
	rt.node = nil
	return dst
}
