package engine

import (
	"errors"
	"fmt"

	"github.com/dop251/goja"
)

// jsFailure turns an error returned by a stage call into a Failure: the
// reason (timeout, exception), the message, and the position of the error
// within the user's snippet, taken from the first stack frame in the
// stage's own program.
func (rt *jsRuntime) jsFailure(idx int, err error) Failure {
	st := rt.e.stages[idx]
	f := Failure{Stage: st.name, Reason: ReasonException}
	var frames []goja.StackFrame
	var (
		ie *goja.InterruptedError
		so *goja.StackOverflowError
		ex *goja.Exception
		le *LimitError
	)
	switch {
	case errors.As(err, &ie):
		f = rt.timeoutFailure(idx)
		frames = ie.Stack()
	case errors.As(err, &so):
		f.Err = fmt.Errorf("maximum call stack size (%d) exceeded", maxCallStack)
		frames = so.Stack()
	case errors.As(err, &ex) && errors.As(err, &le):
		// A guarded built-in refused to start (see guards.go).
		f.Reason, f.Err = ReasonLimit, le
		frames = ex.Stack()
	case errors.As(err, &ex):
		text, timedOut := rt.exceptionTextOrTimeout(ex)
		if timedOut {
			f = rt.timeoutFailure(idx)
		} else {
			f.Err = errors.New(text)
		}
		frames = ex.Stack()
	default:
		f.Err = err
	}
	if s := st.script; s != nil {
		for i := range frames {
			if frames[i].SrcName() != s.stage {
				continue
			}
			pos := frames[i].Position()
			if l, c, ok := s.position(pos.Line, pos.Column); ok {
				f.Line, f.Column = l, c
				f.FileLine = s.fileLine(l)
				f.Source = s.sourceLine(l)
			}
			break
		}
	}
	return f
}

// timeoutFailure is the Failure of stage idx for a sample that ran past
// its deadline.
func (rt *jsRuntime) timeoutFailure(idx int) Failure {
	return Failure{Stage: rt.e.stages[idx].name, Reason: ReasonTimeout,
		Err: fmt.Errorf("script exceeded the deadline of %s for one sample: %w", rt.e.timeout, errTimeout)}
}

// exceptionText renders a thrown value ("TypeError: ..."): String() of an
// object that overrides toString may fail, then the class name is used; if
// it runs past the deadline, the text says so.
func (rt *jsRuntime) exceptionText(ex *goja.Exception) string {
	s, timedOut := rt.exceptionTextOrTimeout(ex)
	if timedOut {
		return errTimeout.Error()
	}
	return s
}

// exceptionTextOrTimeout is exceptionText that reports separately, as
// timedOut, that rendering the value (a toString or Proxy trap that loops)
// ran into the deadline: vm.Try catches exceptions, not the interrupt.
func (rt *jsRuntime) exceptionTextOrTimeout(ex *goja.Exception) (s string, timedOut bool) {
	v := ex.Value()
	if v == nil {
		return "exception", false
	}
	defer func() {
		if r := recover(); r != nil {
			if !isInterrupt(r) {
				panic(r)
			}
			s, timedOut = "", true
		}
	}()
	if e := rt.vm.Try(func() { s = v.String() }); e != nil {
		if o, ok := v.(*goja.Object); ok {
			return o.ClassName(), false
		}
		return "exception", false
	}
	return s, false
}

// isInterrupt reports whether a recovered panic value is goja's interrupt
// (the deadline).
func isInterrupt(r any) bool {
	err, ok := r.(error)
	if !ok {
		return false
	}
	var ie *goja.InterruptedError
	return errors.As(err, &ie)
}

// report counts a failed message, logs it (rate-limited per stage) and hands
// it to the caller's callback.
func (rt *jsRuntime) report(f Failure, idx int, fail func(Failure)) {
	e := rt.e
	st := e.stages[idx]
	st.failed[reasonIndex(f.Reason)].Add(1)
	if st.limit.Allow() {
		ev := e.log.Warn().
			Str("stage", f.Stage).
			Str("reason", string(f.Reason))
		if rt.node != nil {
			ev = ev.Str("node", rt.node.ID)
		}
		if f.Line > 0 {
			ev = ev.Int("line", f.Line).Int("column", f.Column)
			if f.FileLine > 0 {
				ev = ev.Int("file_line", f.FileLine)
			}
			if f.Source != "" {
				ev = ev.Str("source", f.Source)
			}
		}
		if n := st.suppressed.Swap(0); n > 0 {
			ev = ev.Uint64("suppressed", n)
		}
		ev.Err(f.Err).Msg("message dropped")
	} else {
		st.suppressed.Add(1)
	}
	if fail != nil {
		fail(f)
	}
}
