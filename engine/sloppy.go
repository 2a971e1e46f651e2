package engine

import (
	"reflect"
	"sort"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// United Manufacturing Hub runs tag_processor snippets in sloppy mode, and
// its documented examples rely on the one sloppy feature that matters in
// practice: assigning to a name that was never declared (`msg1 = {...}`),
// which creates a global. edgetag runs every snippet in strict mode on a
// frozen global object, so that nothing a message does is seen by the next
// one; such an assignment would throw a ReferenceError there.
//
// So the assignment is made to work as the author meant it, without the
// global: every name a snippet assigns without declaring it is declared
// with `var` at the top of the snippet's wrapper function, on the wrapper's
// first line (the user's code keeps its lines and columns). The name then
// lives exactly as long as one call of the stage, like a global would live
// for one message in UMH, and is gone before the next message.

// localsHead returns the wrapper head with `var` declarations for the
// names in locals inserted before its closing line break.
func localsHead(head string, locals []string) string {
	if len(locals) == 0 {
		return head
	}
	i := strings.IndexByte(head, '\n')
	return head[:i] + "var " + strings.Join(locals, ",") + ";" + head[i:]
}

// undeclaredAssignments returns, sorted and without duplicates, the names
// the wrapper function in prg (see compile.go) assigns anywhere in its body
// (=, op=, ++, --, for-in/of targets, destructuring assignments, also in
// nested functions) but does not declare in its own scope (var anywhere in
// it, a top-level let, const, class or function declaration, or its
// parameter msg). A name declared only in an inner scope is included:
// declaring it once more in the wrapper is harmless, as the inner
// declaration shadows it. It returns nil when prg is not the wrapper.
func undeclaredAssignments(prg *ast.Program) []string {
	fn := wrapperFunc(prg)
	if fn == nil || fn.Body == nil {
		return nil
	}
	declared := map[string]bool{"msg": true, "arguments": true, "eval": true}
	for _, d := range fn.DeclarationList {
		for _, b := range d.List {
			bindingNames(b.Target, declared)
		}
	}
	for _, st := range fn.Body.List {
		switch s := st.(type) {
		case *ast.LexicalDeclaration:
			for _, b := range s.List {
				bindingNames(b.Target, declared)
			}
		case *ast.ClassDeclaration:
			if s.Class != nil && s.Class.Name != nil {
				declared[s.Class.Name.Name.String()] = true
			}
		case *ast.FunctionDeclaration:
			if s.Function != nil && s.Function.Name != nil {
				declared[s.Function.Name.Name.String()] = true
			}
		}
	}
	assigned := map[string]bool{}
	walkAST(reflect.ValueOf(fn.Body), func(n ast.Node) {
		switch x := n.(type) {
		case *ast.AssignExpression:
			assignTargets(x.Left, assigned)
		case *ast.UnaryExpression:
			if x.Operator == token.INCREMENT || x.Operator == token.DECREMENT {
				assignTargets(x.Operand, assigned)
			}
		case *ast.ForInStatement:
			if into, ok := x.Into.(*ast.ForIntoExpression); ok {
				assignTargets(into.Expression, assigned)
			}
		case *ast.ForOfStatement:
			if into, ok := x.Into.(*ast.ForIntoExpression); ok {
				assignTargets(into.Expression, assigned)
			}
		}
	})
	var names []string
	for name := range assigned {
		if !declared[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// assignTargets adds the identifiers an assignment target writes to names.
func assignTargets(e ast.Expression, names map[string]bool) {
	switch x := e.(type) {
	case *ast.Identifier:
		names[x.Name.String()] = true
	case *ast.ArrayPattern:
		for _, el := range x.Elements {
			assignTargets(el, names)
		}
		assignTargets(x.Rest, names)
	case *ast.ObjectPattern:
		for _, p := range x.Properties {
			switch q := p.(type) {
			case *ast.PropertyShort:
				names[q.Name.Name.String()] = true
			case *ast.PropertyKeyed:
				assignTargets(q.Value, names)
			}
		}
		assignTargets(x.Rest, names)
	case *ast.AssignExpression: // a default in a pattern: [a = 1] = ...
		assignTargets(x.Left, names)
	}
}

// bindingNames adds the names a declaration's binding target declares.
func bindingNames(t ast.BindingTarget, names map[string]bool) {
	switch x := t.(type) {
	case *ast.Identifier:
		names[x.Name.String()] = true
	case *ast.ArrayPattern, *ast.ObjectPattern:
		assignTargets(x.(ast.Expression), names)
	}
}

// nodeType is the reflect type of ast.Node.
var nodeType = reflect.TypeFor[ast.Node]()

// walkAST calls visit for every AST node reachable from v through exported
// fields, slices and interfaces, parents before children. goja's AST has
// no back pointers, so the walk ends; it runs once per snippet at compile
// time.
func walkAST(v reflect.Value, visit func(ast.Node)) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			walkAST(v.Elem(), visit)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type().Implements(nodeType) {
			visit(v.Interface().(ast.Node))
		}
		walkAST(v.Elem(), visit)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				walkAST(v.Field(i), visit)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkAST(v.Index(i), visit)
		}
	}
}
