package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/rs/zerolog"
)

// hostileScripts are scripts a careless or hostile author writes: each
// does its damage on a sample with payload 1 only, and must fail that
// message alone with the reason (and limit) given.
var hostileScripts = []struct {
	name   string
	code   string // body run when msg.payload === 1
	stage  string
	reason Reason
	limit  string // LimitError.Limit for reason limit
}{
	{"fan-out of length 2^32-1", `var a = []; a.length = 4294967295; a[0] = msg; return a;`, StageDefaults, ReasonLimit, LimitFanOut},
	{"fan-out of length 1e8", `var a = []; a.length = 1e8; a[0] = msg; return a;`, StageDefaults, ReasonLimit, LimitFanOut},
	{"fan-out just beyond the limit", `var a = []; for (var i = 0; i <= 10000; i++) a.push(null); a[0] = msg; return a;`, StageDefaults, ReasonLimit, LimitFanOut},
	{"Array(5e7).fill", `new Array(5e7).fill(0); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"Array(2e8).fill", `new Array(2e8).fill(0); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"repeat 2^30", `msg.payload = "x".repeat(1 << 30); return msg;`, StageDefaults, ReasonLimit, LimitStringLength},
	{"padStart 2^30", `msg.payload = "x".padStart(1 << 30); return msg;`, StageDefaults, ReasonLimit, LimitStringLength},
	{"join of a long separator", `msg.payload = new Array(1e6).join("abcdefgh"); return msg;`, StageDefaults, ReasonLimit, LimitStringLength},
	{"indexOf on a sparse array", `var a = []; a.length = 4294967295; a.indexOf(1); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"spread of a sparse array", `var a = []; a.length = 4294967295; var b = [...a]; return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"for-of over a sparse array", `var a = []; a.length = 4294967295; for (var x of a) {} return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"Array.from an array-like", `Array.from({length: 1e9}); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"apply with an array-like of length 1e9", `Math.max.apply(null, {length: 1e9}); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"Reflect.apply with an array-like of length 1e9", `Reflect.apply(Math.max, null, {length: 1e9}); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"replaceAll of every position", `"x".repeat(4000000).replaceAll("", "y".repeat(4000000)); return msg;`, StageDefaults, ReasonLimit, LimitStringLength},
	{"global regular expression replace", `"x".repeat(1000000).replace(/(?:)/g, "yyyyyy"); return msg;`, StageDefaults, ReasonLimit, LimitStringLength},
	{"replacement of the prefix per match", "var s = \"ab\".repeat(4000); s.replaceAll(\"a\", \"$`\"); return msg;", StageDefaults, ReasonLimit, LimitStringLength},
	{"Uint8Array(1e9)", `new Uint8Array(1e9); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"ArrayBuffer(1e9)", `new ArrayBuffer(1e9); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"typed array by its prototype's constructor", `new (new Uint8Array(1).constructor)(1e9); return msg;`, StageDefaults, ReasonLimit, LimitArrayLength},
	{"sparse payload of length 1e8", `var a = []; a.length = 1e8; msg.payload = a; return msg;`, StageFinalize, ReasonLimit, LimitPayloadElements},
	{"payload object with too many keys", `var o = {}; for (var i = 0; i <= 100000; i++) o["k" + i] = 1; msg.payload = o; return msg;`, StageFinalize, ReasonLimit, LimitPayloadElements},
	{"payload string beyond max_payload", `msg.payload = "x".repeat(2e6); return msg;`, StageFinalize, ReasonLimit, LimitPayloadBytes},
	{"payload of shared arrays (1e9 bytes)", `var a = []; for (var i = 0; i < 1000; i++) a.push("x".repeat(1000)); var b = []; for (var i = 0; i < 1000; i++) b.push(a); msg.payload = b; return msg;`, StageFinalize, ReasonLimit, LimitPayloadBytes},
	{"payload nested too deep", `var o = {}; var c = o; for (var i = 0; i < 100; i++) { c.x = {}; c = c.x; } msg.payload = o; return msg;`, StageFinalize, ReasonLimit, LimitPayloadDepth},
	{"endless loop", `for (;;) {}`, StageDefaults, ReasonTimeout, ""},
	{"endless toString of a thrown object", `throw {toString: function() { for (;;) {} }};`, StageDefaults, ReasonTimeout, ""},
	{"endless Proxy trap on the returned message", `return new Proxy({}, {get: function() { for (;;) {} }});`, StageDefaults, ReasonTimeout, ""},
	{"endless getter in a fanned-out array", `var a = [msg]; Object.defineProperty(a, 1, {get: function() { for (;;) {} }}); return a;`, StageDefaults, ReasonTimeout, ""},
}

// TestHostileScriptFailsOnlyItsMessage runs every hostile script on one
// runtime: the sample that triggers it fails with the expected reason and
// limit, and the next sample on the same runtime is published.
func TestHostileScriptFailsOnlyItsMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range hostileScripts {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A short deadline only where the deadline is what is
			// tested: building the hostile values takes a while on a
			// loaded machine.
			timeout := time.Minute
			if tt.reason == ReasonTimeout {
				timeout = 200 * time.Millisecond
			}
			e := newTestEngine(t, Config{
				Defaults: Snippet{Code: testDefaults + "\nif (msg.payload === 1) {\n" + tt.code + "\n}\nreturn msg;"},
				Timeout:  timeout,
				Runtimes: 1,
			}, zerolog.Nop())
			n := testNode("bad")
			bad := process(e, testSample(n, 1.0))
			if len(bad.msgs) != 0 || len(bad.fails) != 1 {
				t.Fatalf("hostile sample: %d messages, failures %v; want 0 and one failure", len(bad.msgs), bad.fails)
			}
			f := bad.fails[0]
			if f.Stage != tt.stage || f.Reason != tt.reason {
				t.Fatalf("failure %v: want stage %s reason %s", f, tt.stage, tt.reason)
			}
			if tt.limit != "" {
				le, ok := asLimit(f.Err)
				if !ok || le.Limit != tt.limit {
					t.Fatalf("failure %v: want limit %s", f, tt.limit)
				}
			}
			if tt.reason == ReasonTimeout && !errors.Is(f.Err, errTimeout) {
				t.Errorf("timeout failure %v does not wrap errTimeout", f)
			}
			for range 2 {
				good := process(e, testSample(testNode("good"), 2.0))
				if len(good.msgs) != 1 || len(good.fails) != 0 {
					t.Fatalf("next sample: %d messages, failures %v", len(good.msgs), good.fails)
				}
			}
			st := e.Stats()
			if got := st.Failed[tt.stage][tt.reason]; got != 1 {
				t.Errorf("failed counter %s/%s = %d, want 1", tt.stage, tt.reason, got)
			}
		})
	}
}

// TestGuardedBuiltinsBehaveBelowLimits checks that the guarded built-ins
// still do their job for ordinary arguments.
func TestGuardedBuiltinsBehaveBelowLimits(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `
var a = [3, 1, 2];
var out = [
	a.map(function(x) { return x * 2; }).join("-"),
	a.slice().sort().join(),
	[...a].length, Array.from({length: 3}).length, Array.from(a).length,
	new Array(4).fill(7).join(""), "ab".repeat(3), "5".padStart(3, "0"), "5".padEnd(2, "x"),
	a.indexOf(2), a.includes(3), [1].concat([2, 3], 4).length,
	new Uint8Array(3).length, new Uint8Array([1, 2]) instanceof Uint8Array, Uint8Array.from([1, 2, 3]).length,
	new ArrayBuffer(8).byteLength, [].fill.name, [].fill.length, Array.from.name,
	(function() { var s = 0; for (var x of a) s += x; return s; })(),
	Math.max.apply(null, a), Reflect.apply(Math.min, null, a), Reflect.construct(Array, [2]).length,
	"a-b-c".replaceAll("-", "+"), "a-b".replace("-", "$&$&"), "ab".repeat(2000).replaceAll("a", "$&$&$&$&$&$&$&$&$&$&").length, "aXbX".replace(/X/g, "y"), "ab".replace(/b/, function(m) { return m + m; }),
];
msg.payload = out.join("|");
return msg;`}}, zerolog.Nop())
	r := process(e, testSample(testNode("x"), 1.0))
	if len(r.fails) != 0 || len(r.msgs) != 1 {
		t.Fatalf("failures %v, %d messages", r.fails, len(r.msgs))
	}
	want := `"6-2-4|1,2,3|3|3|3|7777|ababab|005|5x|2|true|4|3|true|3|8|fill|1|from|6|3|1|2|a+b+c|a--b|22000|ayby|abb"`
	if got := string(r.msgs[0].Payload); !strings.Contains(got, want) {
		t.Fatalf("payload %s, want value %s", got, want)
	}
}

// TestCacheByteBudget: a cache.set that would take the cache past its
// byte budget fails its message with limit cache_bytes and stores nothing;
// overwriting and deleting keys give bytes back.
func TestCacheByteBudget(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{
		Defaults: Snippet{Code: testDefaults + `
var v = "x".repeat(200000);
if (msg.payload < 0) { cache.delete("k" + (-msg.payload)); return msg; }
cache.set("k" + (msg.payload % 10), v);
return msg;`},
		CacheMaxBytes: 1 << 20,
	}, zerolog.Nop())
	node := testNode("c")
	for i := range 5 {
		if r := process(e, testSample(node, float64(i))); len(r.fails) != 0 {
			t.Fatalf("set %d: %v", i, r.fails)
		}
	}
	r := process(e, testSample(node, 5.0))
	if len(r.fails) != 1 || r.fails[0].Reason != ReasonLimit {
		t.Fatalf("set beyond the budget: failures %v, want one limit", r.fails)
	}
	if le, ok := asLimit(r.fails[0].Err); !ok || le.Limit != LimitCacheBytes {
		t.Fatalf("failure %v: want limit cache_bytes", r.fails[0])
	}
	if r := process(e, testSample(node, 10.0)); len(r.fails) != 0 {
		t.Fatalf("overwriting k0 within the budget: %v", r.fails)
	}
	if r := process(e, testSample(node, -1.0)); len(r.fails) != 0 {
		t.Fatalf("delete: %v", r.fails)
	}
	if r := process(e, testSample(node, 5.0)); len(r.fails) != 0 {
		t.Fatalf("set after a delete: %v", r.fails)
	}
	e.cache.mu.RLock()
	n, bytes := len(e.cache.m), e.cache.bytes
	e.cache.mu.RUnlock()
	if n != 5 || bytes > 1<<20 {
		t.Fatalf("cache holds %d keys, %d bytes", n, bytes)
	}
}

// BenchmarkGuardedBuiltins measures what the guards of guards.go cost a
// script that uses the wrapped built-ins: the same loop on a runtime with
// and without them.
func BenchmarkGuardedBuiltins(b *testing.B) {
	const loop = `(function() {
	var a = [1, 2, 3, 4, 5, 6, 7, 8];
	var s = 0;
	for (var i = 0; i < 100; i++) {
		s += a.map(function(x) { return x * 2; }).indexOf(6) + a.join(",").length + "ab".repeat(3).length;
	}
	return s;
})`
	for _, guarded := range []bool{false, true} {
		name := "plain"
		if guarded {
			name = "guarded"
		}
		b.Run(name, func(b *testing.B) {
			e := newTestEngine(b, Config{Defaults: Snippet{Code: "return msg;"}, Runtimes: 1}, zerolog.Nop())
			rt := &jsRuntime{e: e, vm: goja.New()}
			if guarded {
				if err := rt.installGuards(); err != nil {
					b.Fatal(err)
				}
			}
			v, err := rt.vm.RunString(loop)
			if err != nil {
				b.Fatal(err)
			}
			fn, _ := goja.AssertFunction(v)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn(goja.Undefined()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
