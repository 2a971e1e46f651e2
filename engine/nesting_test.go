package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestDeepNestingFailsTheCompile: snippets nested deep enough to overflow
// goja's recursive parser fail the compile with a located error instead of
// killing the process; ordinary nesting in code, strings, comments and
// templates compiles.
func TestDeepNestingFailsTheCompile(t *testing.T) {
	t.Parallel()
	deep := func(open, mid, close string, n int) string {
		return "var z = " + strings.Repeat(open, n) + mid + strings.Repeat(close, n) + ";\nreturn msg;"
	}
	tests := []struct {
		name string
		code string
		line int // 0: compiles
	}{
		{"a million parentheses", deep("(", "1", ")", 1_000_000), 1},
		{"a hundred thousand brackets", deep("[", "1", "]", 100_000), 1},
		{"nested objects on the second line", "var a = 1;\nvar z = " + strings.Repeat("{a:", 5000) + "1" + strings.Repeat("}", 5000) + ";\nreturn msg;", 2},
		{"a million negations", "var z = " + strings.Repeat("!", 1_000_000) + "1;\nreturn msg;", 1},
		{"a million minus signs", "var z = " + strings.Repeat("- ", 1_000_000) + "1;\nreturn msg;", 1},
		{"nested template literals", "var z = " + strings.Repeat("`${", 2000) + "1" + strings.Repeat("}`", 2000) + ";\nreturn msg;", 1},
		{"a curried arrow chain", "var z = " + strings.Repeat("a=>", 40_000) + "1;\nreturn msg;", 1},
		{"nesting at the limit", deep("(", "1", ")", MaxNesting-1), 0},
		{"brackets in strings and comments", "var s = \"((((\" + '[[[' + `{{{ ${1} ((`; // ((((\n/* [[[[ */ return msg;", 0},
		{"closing brackets first", "var s = ')))'; return msg;", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{Defaults: Snippet{Code: tt.code, File: "site.yaml", Line: 10}}, zerolog.Nop())
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
				return
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *CompileError", err)
			}
			if ce.Stage != StageDefaults || ce.Line != tt.line || ce.FileLine != 9+tt.line || ce.Column < 1 {
				t.Fatalf("error %v: want stage defaults, line %d, file line %d and a column", ce, tt.line, 9+tt.line)
			}
		})
	}
}
