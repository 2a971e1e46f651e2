package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
)

// Every snippet is compiled once as a strict function *value*:
//
//	body (defaults, then, advancedProcessing):
//	  (function(msg){"use strict";
//	  <user code>
//	  })
//
//	expression (if):
//	  (function(msg){"use strict";
//	  return (
//	  <user expression>
//	  );
//	  })
//
// Names the snippet assigns without declaring them are declared with var
// at the end of the head's line (see sloppy.go).
//
// The user's code starts on its own line, so a column in the user's first
// line is the column in the wrapped program and a line is offset by a
// constant. The closing parts start on a new line, so an if that ends with a
// // comment still compiles. The parsed program must be exactly one function
// expression, so a snippet cannot close the wrapper and run code outside it.
const (
	bodyHead = "(function(msg){\"use strict\";\n"
	bodyTail = "\n})"
	exprHead = "(function(msg){\"use strict\";\nreturn (\n"
	exprTail = "\n);\n})"
)

// stageKind tells how a snippet is wrapped.
type stageKind uint8

const (
	kindBody stageKind = iota
	kindExpr
)

// headLines returns how many wrapper lines precede the user's first line.
func (k stageKind) headLines() int {
	if k == kindExpr {
		return 2
	}
	return 1
}

// script is one compiled snippet with what is needed to point into it.
type script struct {
	stage string // stage name, also the program's file name
	kind  stageKind
	prog  *goja.Program
	lines []string // the user's lines, for error reports
	file  string
	line  int // site-file line of the first snippet line, 0 when unknown
	// metaOnly marks an if whose result, or a body whose effect, depends
	// only on the msg.meta keys in metaKeys (see cacheable.go and
	// stagecache.go); writeKeys are the keys such a body sets.
	metaOnly  bool
	metaKeys  []string
	writeKeys []string
	// cmp is the threshold test an if consists of, evaluated in Go when
	// the payload is a number (see payloadcmp.go); nil for any other if.
	cmp *payloadCmp
	// arith is the payload arithmetic a body consists of, evaluated in Go
	// when the payload is a number (see payloadexpr.go); nil for any other
	// body.
	arith *payloadArith
}

// position converts a position in the wrapped program into a 1-based
// line and column within the user's snippet; ok is false when the position
// lies in the wrapper.
func (s *script) position(line, col int) (l, c int, ok bool) {
	l = line - s.kind.headLines()
	if l < 1 || l > len(s.lines) {
		return 0, 0, false
	}
	return l, col, true
}

// sourceLine returns the user's snippet line l (1-based), trimmed, or "".
func (s *script) sourceLine(l int) string {
	if l < 1 || l > len(s.lines) {
		return ""
	}
	return strings.TrimSpace(s.lines[l-1])
}

// fileLine returns the site-file line of snippet line l, or 0.
func (s *script) fileLine(l int) int {
	if s.line <= 0 || l <= 0 {
		return 0
	}
	return s.line + l - 1
}

// compileScript parses and compiles one snippet. Every error is a
// *CompileError with the stage and the position within the snippet. With
// shortcuts false the script runs only in JavaScript: it is never cached
// and never evaluated in Go (see Config.NoShortcuts).
func compileScript(stage string, kind stageKind, sn Snippet, shortcuts bool) (*script, error) {
	s := &script{
		stage: stage,
		kind:  kind,
		lines: strings.Split(sn.Code, "\n"),
		file:  sn.File,
		line:  sn.Line,
	}
	head, tail := bodyHead, bodyTail
	if kind == kindExpr {
		head, tail = exprHead, exprTail
	}
	if line, col, err := checkNesting(sn.Code, MaxNesting); err != nil {
		return nil, s.compileError(line+kind.headLines(), col, err)
	}
	src := head + sn.Code + tail

	prg, err := parser.ParseFile(nil, stage, src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		// Only the first syntax error: the parser's later ones are
		// mostly consequences of it.
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			pe := list[0]
			if ce := s.bracketError(sn.Code, pe.Position.Line, pe.Position.Column); ce != nil {
				return nil, ce
			}
			return nil, s.compileError(pe.Position.Line, pe.Position.Column, errors.New(pe.Message))
		}
		return nil, s.compileError(0, 0, err)
	}
	if err := s.checkShape(prg); err != nil {
		return nil, err
	}
	if locals := undeclaredAssignments(prg); len(locals) > 0 {
		// UMH's sloppy-mode assignments to undeclared names (sloppy.go).
		src = localsHead(head, locals) + sn.Code + tail
		if prg, err = parser.ParseFile(nil, stage, src, 0, parser.WithDisableSourceMaps); err != nil {
			return nil, s.compileError(0, 0, err)
		}
	}
	switch {
	case !shortcuts:
		// JavaScript only: the reference the shortcuts must match.
	case kind == kindExpr:
		s.metaKeys, s.metaOnly = metaOnlyKeys(prg)
		s.cmp = payloadComparison(prg)
	default:
		s.metaKeys, s.writeKeys, s.metaOnly = metaOnlyStage(prg)
		s.arith = payloadArithmetic(prg)
	}
	p, err := goja.CompileAST(prg, true)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) && se.File != nil {
			pos := se.File.Position(se.Offset)
			return nil, s.compileError(pos.Line, pos.Column, errors.New(se.Message))
		}
		return nil, s.compileError(0, 0, err)
	}
	s.prog = p
	return s, nil
}

// checkShape verifies that the program is exactly the wrapper function, so
// that nothing of the snippet runs outside of it.
func (s *script) checkShape(prg *ast.Program) error {
	if len(prg.Body) == 1 {
		if st, ok := prg.Body[0].(*ast.ExpressionStatement); ok {
			if _, ok := st.Expression.(*ast.FunctionLiteral); ok {
				return nil
			}
		}
	}
	// Point at the first statement after the wrapper.
	line, col := 0, 0
	if len(prg.Body) > 1 && prg.File != nil {
		pos := prg.File.Position(int(prg.Body[1].Idx0()) - 1)
		line, col = pos.Line, pos.Column
	}
	what := "function body"
	if s.kind == kindExpr {
		what = "expression"
	}
	return s.compileError(line, col, fmt.Errorf("the snippet must be a single %s: it closes the enclosing function", what))
}

// compileError builds a *CompileError from a position in the wrapped
// program.
func (s *script) compileError(line, col int, err error) *CompileError {
	ce := &CompileError{Stage: s.stage, File: s.file, Err: err}
	if l, c, ok := s.position(line, col); ok {
		ce.Line, ce.Column = l, c
		ce.FileLine = s.fileLine(l)
	} else if line > 0 {
		// The error lies in the wrapper, e.g. an unterminated block that
		// only ends at the closing brace: report the snippet's last line.
		ce.Line = len(s.lines)
		ce.Column = len(s.lines[len(s.lines)-1]) + 1
		ce.FileLine = s.fileLine(ce.Line)
	}
	return ce
}
