package engine

import (
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
	"github.com/dop251/goja/token"
)

// AssignmentInIf reports whether the if expression code is an assignment
// with =, such as `msg.meta.x = "y"`: almost always a typo for == or ===.
// Such an if is true for every message whose assigned value is truthy, and
// overwrites the key it meant to compare. It is valid JavaScript, so only a
// warning (`edgetag check`, `edgetag run`) says so. Code that does not
// parse is not reported here (compiling it reports it).
func AssignmentInIf(code string) bool {
	prg, err := parser.ParseFile(nil, "if", exprHead+code+exprTail, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return false
	}
	a, ok := ifExpression(prg).(*ast.AssignExpression)
	return ok && a.Operator == token.ASSIGN
}
