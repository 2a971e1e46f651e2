package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestCompileErrorAtBracket checks that an unbalanced bracket is reported
// where it is, in a body and in an if, and that other syntax errors keep
// the parser's position.
func TestCompileErrorAtBracket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		code      string
		expr      bool
		line, col int
		msg       string
	}{
		{name: "stray brace mid-snippet", code: "msg.meta.a = 1;\n}\nreturn msg;", line: 2, col: 1, msg: "unmatched }"},
		{name: "stray brace at the end", code: "msg.meta.a = 1;\nreturn msg;\n  }", line: 3, col: 3, msg: "unmatched }"},
		{name: "unclosed if", code: "if (msg.payload > 1) {\n  msg.meta.a = 1;\nreturn msg;", line: 1, col: 22, msg: "this { is never closed"},
		{name: "unclosed call in an if", code: `msg.meta.a.startsWith("x"`, expr: true, line: 1, col: 22, msg: "this ( is never closed"},
		{name: "braces in strings, comments and a regex", code: "// {\nconst s = \"}\" + '{' + `}`; /* } */\nif (/[}]/.test(s)) {\n  msg.meta.a = s;\n", line: 3, col: 20, msg: "this { is never closed"},
		{name: "missing parenthesis keeps the parser's error", code: "if (msg.payload > 1 {\n}\nreturn msg;", line: 1, col: 21, msg: "Unexpected token {"},
		{name: "balanced brackets keep the parser's error", code: "msg.meta.a = ;\nreturn msg;", line: 1, col: 14, msg: "Unexpected token ;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Defaults: Snippet{Code: tt.code}}
			stage := StageDefaults
			if tt.expr {
				cfg = Config{Conditions: []Condition{cond(tt.code, "return msg;")}}
				stage = "conditions[0].if"
			}
			_, err := New(cfg, zerolog.Nop())
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *CompileError", err)
			}
			if ce.Stage != stage || ce.Line != tt.line || ce.Column != tt.col || !strings.HasPrefix(ce.Err.Error(), tt.msg) {
				t.Errorf("got %s at %d:%d %q, want %s at %d:%d %q", ce.Stage, ce.Line, ce.Column, ce.Err, stage, tt.line, tt.col, tt.msg)
			}
		})
	}
}

// FuzzUnbalancedBracket checks that the scan never panics and that a
// position it reports lies in the snippet, on the bracket it names.
func FuzzUnbalancedBracket(f *testing.F) {
	for _, s := range []string{"{", "}", "a = /[}]/;", "`${", "/* {", "'\\", "x\n}\n", "f(/)/)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		b, _, ok := unbalancedBracket(code)
		if !ok {
			return
		}
		lines := strings.Split(code, "\n")
		if b.line < 1 || b.line > len(lines) || b.col < 1 || b.col > len(lines[b.line-1]) || lines[b.line-1][b.col-1] != b.b {
			t.Fatalf("%q: bracket %c reported at %d:%d", code, b.b, b.line, b.col)
		}
	})
}
