package engine

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

func TestConsole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		call  string
		level string
		msg   string
	}{
		{"log", `console.log("hello", 1, {a: [1, 2]}, null)`, "info", `hello 1 {"a":[1,2]} null`},
		{"info", `console.info("i")`, "info", "i"},
		{"warn", `console.warn("w")`, "warn", "w"},
		{"error", `console.error("e", new Error("x").message)`, "error", "e x"},
		{"debug", `console.debug("d")`, "debug", "d"},
		{"cyclic object", `var o = {}; o.o = o; console.log("c", o)`, "info", "c [object Object]"},
		{"a megabyte is cut", `console.log("a", "é".repeat(1 << 19), "b")`, "info",
			"a " + strings.Repeat("é", (MaxConsoleLine-2)/2) + "…(truncated " + strconv.Itoa(1<<20-(MaxConsoleLine-2)+2) + " bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs logBuffer
			e := newTestEngine(t, Config{
				Defaults:   Snippet{Code: testDefaults + `return msg;`},
				Conditions: []Condition{cond(`true`, tt.call+`; return msg;`)},
			}, zerolog.New(&logs).Level(zerolog.DebugLevel))
			r := process(e, testSample(testNode("t1"), 1.0))
			if len(r.msgs) != 1 {
				t.Fatalf("failures %v", r.fails)
			}
			lines := logs.lines(t, `"stage"`)
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1", len(lines))
			}
			l := lines[0]
			if l["level"] != tt.level || l["message"] != tt.msg || l["stage"] != "conditions[0].then" || l["node"] != "ns=2;s=Line1.t1" {
				t.Errorf("got %v, want level %s message %q stage conditions[0].then node ns=2;s=Line1.t1", l, tt.level, tt.msg)
			}
		})
	}
}

func TestConsoleRateLimited(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `for (var i = 0; i < 1000; i++) console.log("spam"); return msg;`}}, zerolog.New(&logs))
	if r := process(e, testSample(testNode("t1"), 1.0)); len(r.msgs) != 1 {
		t.Fatalf("failures %v", r.fails)
	}
	if n := len(logs.lines(t, "spam")); n == 0 || n > consoleLogBurst+10 {
		t.Errorf("%d console lines for 1000 calls, want between 1 and about %d", n, consoleLogBurst)
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string // sets msg.meta.out
		want []string
	}{
		{"counter across messages", `cache.set("n", (cache.get("n") || 0) + 1); msg.meta.out = String(cache.get("n"));`, []string{"1", "2", "3"}},
		{"exists and delete", `var had = cache.exists("k"); cache.set("k", "v"); var del = cache.delete("k");
msg.meta.out = [had, del, cache.exists("k"), cache.delete("k")].join(",");`, []string{"false,true,false,false", "false,true,false,false", "false,true,false,false"}},
		{"objects are copies", `if (!cache.exists("o")) cache.set("o", {a: [1]}); var o = cache.get("o"); o.a.push(2);
msg.meta.out = JSON.stringify(cache.get("o"));`, []string{`{"a":[1]}`, `{"a":[1]}`, `{"a":[1]}`}},
		{"primitives keep their type", `cache.set("s", "1"); cache.set("b", true); cache.set("z", null); cache.set("f", 1.5);
msg.meta.out = [typeof cache.get("s"), typeof cache.get("b"), cache.get("z"), cache.get("f"), typeof cache.get("none")].join(",");`,
			[]string{"string,boolean,,1.5,undefined", "string,boolean,,1.5,undefined", "string,boolean,,1.5,undefined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + tt.code + ` return msg;`}, Runtimes: 2}, zerolog.Nop())
			for i, want := range tt.want {
				r := process(e, testSample(testNode("t1"), 1.0))
				if len(r.msgs) != 1 {
					t.Fatalf("message %d: failures %v", i, r.fails)
				}
				if got, _ := header(r.msgs[0], "out"); got != want {
					t.Errorf("message %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestCacheRejectsFunctions(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `cache.set("f", function() {}); return msg;`}}, zerolog.Nop())
	r := process(e, testSample(testNode("t1"), 1.0))
	if len(r.fails) != 1 || r.fails[0].Reason != ReasonException {
		t.Fatalf("failures %v, want one exception", r.fails)
	}
}

// TestConcurrentProcess runs many goroutines through a small pool (run it
// with -race): every sample comes out exactly once, as its own node's
// message, while all of them use the shared cache.
func TestConcurrentProcess(t *testing.T) {
	t.Parallel()
	cfg := benchConfig("C")
	cfg.Defaults.Code = `cache.set(msg.meta.opcua_tag_name, (cache.get(msg.meta.opcua_tag_name) || 0) + 1);` + cfg.Defaults.Code
	cfg.Runtimes = 3
	e := newTestEngine(t, cfg, zerolog.Nop())
	samples := benchSamples()
	const workers, per = 6, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				s := &samples[(w*per+i)%len(samples)]
				out := e.Process(s, nil, func(f Failure) { errs <- fmt.Errorf("%v", f) })
				if len(out) != 1 || out[0].Node != s.Node {
					errs <- fmt.Errorf("worker %d sample %d: %d messages", w, i, len(out))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.Samples != workers*per || st.Emitted != workers*per {
		t.Errorf("stats %+v, want %d samples and messages", st, workers*per)
	}
}
