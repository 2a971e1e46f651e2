package siteconfig

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// env returns a lookup function over a fixed set of variables.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// noEnv is a lookup function that finds nothing.
func noEnv(string) (string, bool) { return "", false }

// want describes one expected problem: its position ("line:col", or
// "line" alone, or "" for none), its path and a fragment of its message.
type want struct {
	pos, path, msg string
}

// checkErrors asserts that err holds exactly the wanted problems, in
// order.
func checkErrors(t *testing.T, err error, wants []want) {
	t.Helper()
	if len(wants) == 0 {
		if err != nil {
			t.Fatalf("unexpected error:\n%v", err)
		}
		return
	}
	var ces Errors
	if !errors.As(err, &ces) {
		t.Fatalf("error %v (%T) is not a Errors", err, err)
	}
	if len(ces) != len(wants) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ces), len(wants), err)
	}
	for i, w := range wants {
		e := ces[i]
		pos := ""
		if e.Line > 0 {
			pos = strconv.Itoa(e.Line)
			if e.Column > 0 && strings.Contains(w.pos, ":") {
				pos += ":" + strconv.Itoa(e.Column)
			}
		}
		if pos != w.pos || e.Path != w.path || !strings.Contains(e.Msg, w.msg) {
			t.Errorf("problem %d = %q (pos %q, path %q), want pos %q, path %q, message containing %q", i, e.Error(), pos, e.Path, w.pos, w.path, w.msg)
		}
	}
}

// minimal is the smallest valid site file; tests append to it or replace
// parts of it.
const minimal = `sources:
  - name: plc
    endpoint: opc.tcp://127.0.0.1:4840
    nodes:
      - id: ns=2;s=Line1
`
