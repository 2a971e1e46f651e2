package engine

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// errTimeout is the interrupt value of a sample that ran past its deadline.
var errTimeout = errors.New("script timed out")

// maxInterned bounds the per-runtime table of interned strings.
const maxInterned = 4096

// jsRuntime is one goja runtime with everything installed once: the
// sandbox, console, cache, and one function value per stage. It belongs to
// one goroutine at a time (whoever took it from the pool).
type jsRuntime struct {
	e  *Engine
	vm *goja.Runtime
	// fns holds the compiled stage functions, indexed like Engine.stages;
	// nil for a stage the config does not have.
	fns []goja.Callable

	// The reused msg and msg.meta objects (see msg.go).
	msg      msgHandler
	meta     metaHandler
	msgObj   *goja.Object
	metaObj  *goja.Object
	objProto *goja.Object
	args     [1]goja.Value
	// orig is the JS form of the sample value, to detect an unchanged
	// payload.
	orig goja.Value

	// driver calls back into Go (see run) so that every stage call of a
	// batch of samples happens inside one outer JS call: goja drops its
	// value stack whenever control leaves the runtime, and re-growing it
	// for every stage call would cost allocations. batch, bi (the next
	// sample) and cdst carry the batch through the callback; failures go
	// to reportFn, which hands them to pfail (Process) or bfail
	// (ProcessBatch, with the sample's index).
	driver   goja.Callable
	dargs    [1]goja.Value
	batch    []tag.Sample
	bi       int
	one      [1]tag.Sample
	cdst     []tag.Message
	pfail    func(Failure)
	bfail    func(int, Failure)
	reportFn func(Failure)

	stringify goja.Callable // JSON.stringify, for console and cache
	parse     goja.Callable // JSON.parse, for cache

	ns *nodeState // the current sample's node
	// recording is set while a stage runs whose result is being recorded for
	// the node: the meta values it reads are needed this once.
	recording bool
	lookups   int // node lookups since the last tick of the node table
	statuses  map[uint32]string
	strs      map[string]goja.Value

	// Deadline: timer interrupts vm; fired receives once per firing so
	// that disarm can wait for a late firing before clearing it.
	timer *time.Timer
	fired chan struct{}
	// armed is set while the deadline of the current sample runs: from the
	// first script call on, so a sample that needs no script (every stage
	// cached) costs no timer.
	armed bool
	// overdue is set by the timer when it fires, for Go loops that walk
	// script values and must stop at the deadline too (see collect).
	overdue atomic.Bool
	// runtimeFlags: see watchdog.go.
	runtimeFlags
	// slot is the runtime's place in the engine's pool.
	slot int

	// Scratch space reused sample after sample.
	cur, next []*goja.Object
	buf       []byte
	sbuf      []byte // subject scratch
	times     timeFormatter
	hslab     []tag.Header // see headerSlab
	hscratch  []tag.Header // candidate shared headers of the message being finalized
	bslab     []byte       // see byteSlab
	spans     []span

	// What is running, for console and failure logs.
	stage int
	node  *tag.Node

	// Counters of this runtime; Stats sums them.
	samples atomic.Uint64
	emitted atomic.Uint64
}

// newRuntime builds a runtime: console and cache, the sandbox, then the
// stage functions.
func (e *Engine) newRuntime() (*jsRuntime, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(maxCallStack)
	rt := &jsRuntime{
		e:        e,
		vm:       vm,
		fns:      make([]goja.Callable, len(e.stages)),
		statuses: make(map[uint32]string),
		strs:     make(map[string]goja.Value),
		fired:    make(chan struct{}, 1),
	}
	rt.meta.rt = rt
	if err := rt.installJSON(); err != nil {
		return nil, err
	}
	if err := rt.installConsole(); err != nil {
		return nil, err
	}
	if err := rt.installCache(); err != nil {
		return nil, err
	}
	if err := rt.installGuards(); err != nil {
		return nil, err
	}
	if _, err := vm.RunProgram(sandboxProgram()); err != nil {
		return nil, fmt.Errorf("set up runtime sandbox: %w", err)
	}
	rt.objProto = vm.NewObject().Prototype()
	for i, st := range e.stages {
		if st.script == nil {
			continue
		}
		v, err := vm.RunProgram(st.script.prog)
		if err != nil {
			return nil, fmt.Errorf("stage %s: instantiate: %w", st.name, err)
		}
		fn, ok := goja.AssertFunction(v)
		if !ok {
			return nil, fmt.Errorf("stage %s: instantiate: not a function", st.name)
		}
		rt.fns[i] = fn
	}
	dv, err := vm.RunProgram(driverProgram())
	if err != nil {
		return nil, fmt.Errorf("set up runtime driver: %w", err)
	}
	rt.driver, _ = goja.AssertFunction(dv)
	rt.dargs[0] = vm.ToValue(func(goja.FunctionCall) goja.Value {
		for rt.bi < len(rt.batch) {
			rt.step()
		}
		return goja.Undefined()
	})
	rt.reportFn = rt.reportFailure
	rt.msgObj = vm.NewDynamicObject(&rt.msg)
	rt.metaObj = vm.NewDynamicObject(&rt.meta)
	rt.timer = time.AfterFunc(time.Hour, func() {
		rt.overdue.Store(true)
		vm.Interrupt(errTimeout)
		rt.watchOverrun()
		rt.fired <- struct{}{}
	})
	rt.timer.Stop()
	return rt, nil
}

// installJSON keeps JSON.stringify and JSON.parse as callables.
func (rt *jsRuntime) installJSON() error {
	j, ok := rt.vm.Get("JSON").(*goja.Object)
	if !ok {
		return errors.New("set up runtime: no JSON object")
	}
	var ok1, ok2 bool
	rt.stringify, ok1 = goja.AssertFunction(j.Get("stringify"))
	rt.parse, ok2 = goja.AssertFunction(j.Get("parse"))
	if !ok1 || !ok2 {
		return errors.New("set up runtime: JSON.stringify or JSON.parse missing")
	}
	return nil
}

// arm starts the deadline of the current sample unless it runs already.
// It must be called before anything that can run a script.
func (rt *jsRuntime) arm() {
	if !rt.armed {
		rt.armed = true
		rt.armedNode.Store(rt.node)
		rt.timer.Reset(rt.e.timeout)
	}
}

// disarm stops the deadline and clears an interrupt, waiting for a timer
// that fired concurrently so that it cannot hit the next sample.
func (rt *jsRuntime) disarm() {
	if !rt.armed {
		return
	}
	rt.armed = false
	if !rt.timer.Stop() {
		<-rt.fired
	}
	rt.vm.ClearInterrupt()
	rt.overdue.Store(false)
	rt.epoch.Add(1)
}

// close stops the runtime's timer; the runtime must not be used after.
func (rt *jsRuntime) close() {
	rt.timer.Stop()
}

// intern returns a cached JS string value for s.
func (rt *jsRuntime) intern(s string) goja.Value {
	if v, ok := rt.strs[s]; ok {
		return v
	}
	v := rt.vm.ToValue(s)
	if len(rt.strs) < maxInterned {
		rt.strs[s] = v
	}
	return v
}
