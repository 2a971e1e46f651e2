package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/rs/zerolog"
)

func TestPayloadComparisonShape(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]bool{
		`msg.payload > 100`:             true,
		`100 <= msg.payload // comment`: true,
		`msg.payload === -2.5`:          true,
		`msg.payload != 0`:              true,
		`msg.payload < -Infinity`:       true,
		`msg.payload > "100"`:           false,
		`msg.payload > 100 && true`:     false,
		`msg.payload.x > 100`:           false,
		`msg.meta.payload > 100`:        false,
		`msg.payload + 1 > 100`:         false,
		`msg.payload > -x`:              false,
		`msg.payload instanceof Object`: false,
	} {
		s, err := compileScript("conditions[0].if", kindExpr, Snippet{Code: expr}, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.cmp != nil; got != want {
			t.Errorf("%s: threshold test %v, want %v", expr, got, want)
		}
	}
}

// TestPayloadComparisonMatchesJavaScript runs every operator with several
// literals on payloads of every kind through an engine that compares in Go
// and one without shortcuts that runs it in JavaScript, and requires the same
// messages.
func TestPayloadComparisonMatchesJavaScript(t *testing.T) {
	t.Parallel()
	payloads := []any{int64(-6), int64(0), int64(99), int64(100), int64(101), int64(1) << 60, int64(1) << 53, -int64(1) << 53, int64(2), int32(100), uint64(math.MaxUint64),
		math.NaN(), math.Inf(1), math.Inf(-1), 100.0, 100.5, math.Copysign(0, -1), 2.5, -2.5, float32(2.5),
		"150", "abc", "", true, false, nil, []float64{101}, []int64{}}
	for _, op := range []string{"<", "<=", ">", ">=", "==", "===", "!=", "!=="} {
		for _, lit := range []string{"100", "-5", "2.5", "-2.5", "0", "-0", "1e300", "9007199254740993", "-9007199254740993", "2.0"} {
			for _, swap := range []bool{false, true} {
				expr := "msg.payload " + op + " " + lit
				if swap {
					expr = lit + " " + op + " msg.payload"
				}
				t.Run(expr, func(t *testing.T) {
					t.Parallel()
					build := func(noShortcuts bool) *Engine {
						return newTestEngine(t, Config{
							Defaults:    Snippet{Code: testDefaults + `return msg;`},
							Conditions:  []Condition{cond(expr, `msg.meta.virtual_path = "hit"; return msg;`)},
							Runtimes:    1,
							NoShortcuts: noShortcuts,
						}, zerolog.Nop())
					}
					fast, js := build(false), build(true)
					if fast.stages[1].script.cmp == nil || js.stages[1].script.cmp != nil {
						t.Fatal("the engines do not differ in how they evaluate the if")
					}
					for _, p := range payloads {
						s := testSample(testNode("t1"), p)
						got, want := process(fast, s), process(js, s)
						if g, w := describe(got.msgs)+fmt.Sprint(got.fails), describe(want.msgs)+fmt.Sprint(want.fails); g != w {
							t.Errorf("payload %#v:\n got %s\nwant %s", p, g, w)
						}
					}
				})
			}
		}
	}
}
