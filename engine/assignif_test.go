package engine

import "testing"

func TestAssignmentInIf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		want bool
	}{
		{`msg.meta.x = "y"`, true},
		{`x = 1`, true},
		{"msg.meta.x =\n  \"y\" // a comment", true},
		{`msg.meta.x === "y"`, false},
		{`msg.meta.x == "y"`, false},
		{`msg.meta.x += "y"`, false}, // not a typo of a comparison
		{`(msg.meta.x = "y") && true`, false},
		{`f(a = 1)`, false},
		{`msg.meta.x = `, false}, // does not parse: a compile error instead
	}
	for _, tt := range tests {
		if got := AssignmentInIf(tt.code); got != tt.want {
			t.Errorf("AssignmentInIf(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}
