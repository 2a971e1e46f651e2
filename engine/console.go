package engine

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"
)

// installConsole installs console.log/info/warn/error/debug. Each call
// becomes one log line with the stage and node id, at the matching level
// (log is info). Lines are rate-limited per engine; suppressed lines are
// counted and the count is reported on the next line that passes. A line
// longer than MaxConsoleLine bytes is cut at a character boundary and ends
// with "…(truncated N bytes)".
func (rt *jsRuntime) installConsole() error {
	c := rt.vm.NewObject()
	levels := []struct {
		name  string
		level zerolog.Level
	}{
		{"log", zerolog.InfoLevel},
		{"info", zerolog.InfoLevel},
		{"warn", zerolog.WarnLevel},
		{"error", zerolog.ErrorLevel},
		{"debug", zerolog.DebugLevel},
	}
	for _, l := range levels {
		level := l.level
		if err := c.Set(l.name, func(call goja.FunctionCall) goja.Value {
			rt.consoleLine(level, call.Arguments)
			return goja.Undefined()
		}); err != nil {
			return err
		}
	}
	return rt.vm.Set("console", c)
}

// consoleLine logs one console call.
func (rt *jsRuntime) consoleLine(level zerolog.Level, args []goja.Value) {
	e := rt.e
	if e.log.GetLevel() > level {
		return
	}
	if !e.consoleLimit.Allow() {
		e.consoleSuppressed.Add(1)
		return
	}
	var b strings.Builder
	cut := 0 // bytes left out
	for i, a := range args {
		d := rt.display(a)
		if cut > 0 || b.Len() >= MaxConsoleLine {
			cut += len(d) + 1
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if room := MaxConsoleLine - b.Len(); len(d) > room {
			keep := room
			for keep > 0 && !utf8.RuneStart(d[keep]) {
				keep--
			}
			cut += len(d) - keep
			d = d[:keep]
		}
		b.WriteString(d)
	}
	if cut > 0 {
		b.WriteString("…(truncated ")
		b.WriteString(strconv.Itoa(cut))
		b.WriteString(" bytes)")
	}
	ev := e.log.WithLevel(level).Str("stage", e.stages[rt.stage].name)
	if rt.node != nil {
		ev = ev.Str("node", rt.node.ID)
	}
	if n := e.consoleSuppressed.Swap(0); n > 0 {
		ev = ev.Uint64("suppressed", n)
	}
	ev.Msg(b.String())
}

// display renders a console argument: strings as they are, objects as
// JSON when possible, everything else through String().
func (rt *jsRuntime) display(v goja.Value) (s string) {
	if v == nil {
		return "undefined"
	}
	if o, ok := v.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(o); !isFn {
			var r goja.Value
			ex := rt.vm.Try(func() { r, _ = rt.stringify(goja.Undefined(), o) })
			if ex == nil && r != nil && !goja.IsUndefined(r) {
				return r.String()
			}
		}
	}
	if ex := rt.vm.Try(func() { s = v.String() }); ex != nil {
		return "[unprintable]"
	}
	return s
}
