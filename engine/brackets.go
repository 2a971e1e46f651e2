package engine

import (
	"errors"
	"fmt"
)

// A snippet with an unbalanced bracket confuses the parser's report: it is
// parsed inside the wrapper function (compile.go), so a stray `}` closes
// the wrapper and the error lands on the next statement ("Unexpected token
// return"), and an unclosed `{` is closed by the wrapper's own brace and
// the error lands in the wrapper ("Unexpected token )"). When the parser
// fails, unbalancedBracket looks for the bracket itself so the error names
// it where it is.

// bracketPos is a bracket of the snippet and its 1-based line and column.
type bracketPos struct {
	b         byte
	line, col int
}

// unbalancedBracket scans code for the first closing bracket without a
// matching opener (stray), or else the innermost opener never closed, skipping
// strings, template literals, comments and regular expression literals
// (recognized by the token before the '/', as a parser would). It returns
// the bracket and where it is, or ok false when the brackets balance. It
// only improves an error message: a snippet it misreads still fails to
// compile, with the parser's message.
func unbalancedBracket(code string) (at bracketPos, stray, ok bool) {
	var stack []bracketPos
	line, col := 1, 0
	prev := byte(0) // last significant character outside strings and comments
	closer := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(code); i++ {
		c := code[i]
		col++
		if c == '\n' {
			line, col = line+1, 0
			continue
		}
		switch {
		case c == '/' && i+1 < len(code) && code[i+1] == '/':
			for i+1 < len(code) && code[i+1] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(code) && code[i+1] == '*':
			i, col = i+1, col+1
			for i+1 < len(code) && !(code[i] == '*' && code[i+1] == '/') {
				i++
				col++
				if code[i] == '\n' {
					line, col = line+1, 0
				}
			}
			i, col = i+1, col+1
			continue
		case c == '"' || c == '\'' || c == '`' || c == '/' && regexCanStart(prev):
			// Skip to the closing quote or slash (a regex's class [...]
			// may hold a '/').
			inClass := false
			for i+1 < len(code) {
				i++
				col++
				d := code[i]
				if d == '\\' {
					i, col = i+1, col+1
					if i < len(code) && code[i] == '\n' { // a line continuation
						line, col = line+1, 0
					}
					continue
				}
				if d == '\n' {
					if c != '`' {
						// An unterminated string (the parser reports it):
						// the line end is the outer loop's.
						i, col = i-1, col-1
						break
					}
					line, col = line+1, 0
				}
				if c == '/' && (d == '[' || d == ']') {
					inClass = d == '['
				}
				if d == c && !inClass {
					break
				}
			}
			prev = 'a' // a value
			continue
		case c == ' ' || c == '\t' || c == '\r':
			continue
		}
		switch c {
		case '(', '[', '{':
			stack = append(stack, bracketPos{c, line, col})
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1].b != closer[c] {
				return bracketPos{c, line, col}, true, true
			}
			stack = stack[:len(stack)-1]
		}
		prev = c
	}
	if len(stack) > 0 {
		return stack[len(stack)-1], false, true
	}
	return bracketPos{}, false, false
}

// regexCanStart reports whether a '/' after the significant character prev
// starts a regular expression rather than a division: after an operator,
// an opening bracket, a separator, or at the start.
func regexCanStart(prev byte) bool {
	switch prev {
	case 0, '(', '[', '{', '}', ',', ';', ':', '=', '!', '&', '|', '?', '+', '-', '*', '%', '<', '>', '~', '^':
		return true
	}
	return false
}

// bracketError returns the error of an unbalanced bracket of code when it
// explains the parser's error at line, col of the wrapped program: a stray
// closer at or before that point, or an opener never closed when the
// parser only failed in the wrapper after the snippet. Otherwise nil: the
// parser's own error is the better one.
func (s *script) bracketError(code string, line, col int) *CompileError {
	b, stray, ok := unbalancedBracket(code)
	if !ok {
		return nil
	}
	pl, pc, inSnippet := s.position(line, col)
	msg := fmt.Sprintf("this %c is never closed", b.b)
	switch {
	case stray && (!inSnippet || pl > b.line || pl == b.line && pc >= b.col):
		msg = fmt.Sprintf("unmatched %c: it closes nothing that is open", b.b)
	case !stray && !inSnippet:
	default:
		return nil
	}
	return s.compileError(b.line+s.kind.headLines(), b.col, errors.New(msg))
}
