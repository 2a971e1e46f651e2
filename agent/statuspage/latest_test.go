package statuspage

import (
	"fmt"
	"strings"
	"testing"
)

func TestTableKeepsAtMostMaxSubjectsAndCountsTheRest(t *testing.T) {
	tb := NewTable(2)
	tb.Update("a", []byte("1"), 1)
	tb.Update("b", []byte("2"), 2)
	tb.Update("c", []byte("3"), 3)
	tb.Update("c", []byte("4"), 4)
	tb.Update("a", []byte("5"), 5) // kept subjects still update
	if tb.Len() != 2 || tb.NotKept() != 2 {
		t.Fatalf("len %d, not kept %d; want 2 and 2", tb.Len(), tb.NotKept())
	}
	vals, total := tb.Search("", 10)
	if total != 2 || len(vals) != 2 || vals[0] != (Value{Subject: "a", Value: "5", TimeMs: 5}) || vals[1].Subject != "b" {
		t.Fatalf("search: %v (total %d)", vals, total)
	}
}

func TestTableChangesCoalescePerSubjectInOrder(t *testing.T) {
	tb := NewTable(10)
	buf := []byte("1")
	tb.Update("x", buf, 1)
	buf[0] = '9' // the table keeps its own copy
	tb.Update("y", []byte("2"), 2)
	tb.Update("x", []byte("3"), 3)
	got := tb.Changes(1)
	if len(got) != 1 || got[0] != (Value{Subject: "x", Value: "3", TimeMs: 3}) {
		t.Fatalf("first change = %v, want x=3 (latest value, first-changed order)", got)
	}
	tb.Update("x", []byte("4"), 4)
	got = tb.Changes(10)
	if len(got) != 2 || got[0].Subject != "y" || got[1] != (Value{Subject: "x", Value: "4", TimeMs: 4}) {
		t.Fatalf("then %v, want y then x=4", got)
	}
	if got := tb.Changes(10); got != nil {
		t.Fatalf("no change since: got %v", got)
	}
}

func TestTableCutsLongValues(t *testing.T) {
	tb := NewTable(1)
	tb.Update("s", []byte(`"`+strings.Repeat("x", 1000)+`"`), 1)
	v := tb.Changes(1)[0].Value
	if !strings.HasSuffix(v, "…") || len(v) != MaxValueBytes+len("…") {
		t.Fatalf("value of %d bytes ending %q, want cut at %d with an ellipsis", len(v), v[len(v)-5:], MaxValueBytes)
	}
}

func TestTableSearchIgnoresCaseAndLimits(t *testing.T) {
	tb := NewTable(100)
	for i := range 20 {
		tb.Update(fmt.Sprintf("umh.v1.acme.Line%02d.Temperature", i), []byte("1"), 1)
		tb.Update(fmt.Sprintf("umh.v1.acme.Line%02d.State", i), []byte("1"), 1)
	}
	vals, total := tb.Search("line0", 3)
	if total != 20 || len(vals) != 3 || vals[0].Subject != "umh.v1.acme.Line00.State" {
		t.Fatalf("search line0: total %d, %v", total, vals)
	}
	if _, total := tb.Search("nothing", 3); total != 0 {
		t.Fatalf("search nothing: total %d", total)
	}
}

func TestMatchesIgnoresCase(t *testing.T) {
	for _, c := range []struct {
		subject, query string
		want           bool
	}{
		{"umh.v1.Plant.Press", "press", true},
		{"umh.v1.Plant.Press", "plant.p", true},
		{"umh.v1.Plant.Press", "oven", false},
		{"umh.v1.Plant.Press", "", true},
		{"a", "ab", false},
		{"umh.v1.Größe.Wert", "größe", true},
		{"umh.v1.GRÖSSE", "grösse", true},
	} {
		if got := Matches(c.subject, c.query); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.subject, c.query, got, c.want)
		}
	}
}
