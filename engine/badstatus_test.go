package engine

import (
	"testing"

	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// TestBadStatus checks UMH's rule on OPC UA status codes: a Bad value is
// dropped (counted and logged) before any stage runs, Good and Uncertain
// values pass, and bad_status keep passes Bad values too.
func TestBadStatus(t *testing.T) {
	t.Parallel()
	statuses := []struct {
		name string
		code ua.StatusCode
		bad  bool
	}{
		{"Good", ua.StatusOK, false},
		{"GoodClamped", ua.StatusGoodClamped, false},
		{"Uncertain", ua.StatusUncertain, false},
		{"UncertainLastUsableValue", ua.StatusUncertainLastUsableValue, false},
		{"Bad", ua.StatusBad, true},
		{"BadTimeout", ua.StatusBadTimeout, true},
		{"BadNodeIDUnknown with info bits", ua.StatusBadNodeIDUnknown | 0x400, true},
	}
	for _, mode := range []string{"", BadStatusDrop, BadStatusKeep} {
		var logs logBuffer
		e := newTestEngine(t, Config{
			Defaults:  Snippet{Code: testDefaults + `msg.meta.seen = msg.meta.opcua_status_code; return msg;`},
			BadStatus: mode,
		}, zerolog.New(&logs))
		wantDropped := uint64(0)
		for _, st := range statuses {
			s := testSample(testNode("t1"), 1.0)
			s.Status = uint32(st.code)
			r := process(e, s)
			drop := st.bad && mode != BadStatusKeep
			if drop {
				wantDropped++
			}
			if drop != (len(r.msgs) == 0) || len(r.fails) != 0 {
				t.Errorf("mode %q, %s: %d messages, failures %v; want dropped %v", mode, st.name, len(r.msgs), r.fails, drop)
			}
		}
		if got := e.Stats().BadDropped; got != wantDropped {
			t.Errorf("mode %q: %d counted as dropped, want %d", mode, got, wantDropped)
		}
		lines := logs.lines(t, "Bad status dropped")
		if wantDropped > 0 && (len(lines) == 0 || lines[0]["node"] != "ns=2;s=Line1.t1" || lines[0]["status"] != "Bad") {
			t.Errorf("mode %q: log lines %v, want one naming the node and status", mode, lines)
		}
		if wantDropped == 0 && len(lines) != 0 {
			t.Errorf("mode %q: log lines %v, want none", mode, lines)
		}
	}
	if _, err := New(Config{BadStatus: "ignore"}, zerolog.Nop()); err == nil {
		t.Error("bad_status ignore accepted")
	}
}

// TestBadStatusBatch checks that a Bad sample in a batch is dropped alone.
func TestBadStatusBatch(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + `return msg;`}}, zerolog.Nop())
	ss := []tag.Sample{testSample(testNode("a"), 1.0), testSample(testNode("b"), 2.0), testSample(testNode("c"), 3.0)}
	ss[1].Status = uint32(ua.StatusBadCommunicationError)
	out := e.ProcessBatch(ss, nil, func(i int, f Failure) { t.Errorf("sample %d: %v", i, f) })
	if len(out) != 2 || out[0].Node.Name != "a" || out[1].Node.Name != "c" {
		t.Fatalf("got %d messages, want those of a and c", len(out))
	}
	if e.Stats().BadDropped != 1 {
		t.Errorf("dropped %d, want 1", e.Stats().BadDropped)
	}
}
