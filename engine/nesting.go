package engine

import "fmt"

// checkNesting scans a snippet before goja's parser sees it: the parser
// recurses once per nesting level, and a snippet nested deep enough (a
// million parentheses) overflows the goroutine stack, which kills the
// process instead of failing the compile. It returns an error and the
// 1-based line and column where the nesting of brackets ((, [, { and ${ of
// template literals), a run of prefix operators (! ~ + -), or the arrows of
// one expression (the parser takes time growing faster than their square)
// pass max.
// Strings, template text and comments are skipped; a regular expression
// literal is scanned as code, which can only make the count larger.
func checkNesting(src string, max int) (line, col int, err error) {
	const (
		inCode = iota
		inLineComment
		inBlockComment
		inSingle
		inDouble
		inTemplate
	)
	state := inCode
	// stack holds, per open bracket, whether it is a template's ${ (a
	// closing brace then resumes the template text).
	var stack []bool
	run := 0    // consecutive prefix operators
	arrows := 0 // arrows since the last ; or , (a curried chain a=>b=>...)
	line, col = 1, 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		col++
		if c == '\n' {
			line, col = line+1, 0
		}
		switch state {
		case inLineComment:
			if c == '\n' {
				state = inCode
			}
			continue
		case inBlockComment:
			if c == '*' && i+1 < len(src) && src[i+1] == '/' {
				i++
				col++
				state = inCode
			}
			continue
		case inSingle, inDouble:
			switch {
			case c == '\\':
				i++
				col++
			case c == '\'' && state == inSingle, c == '"' && state == inDouble, c == '\n':
				state = inCode
			}
			continue
		case inTemplate:
			switch {
			case c == '\\':
				i++
				col++
			case c == '`':
				state = inCode
			case c == '$' && i+1 < len(src) && src[i+1] == '{':
				i++
				col++
				stack = append(stack, true)
				if len(stack) > max {
					return line, col, fmt.Errorf("brackets nested deeper than %d levels", max)
				}
				state = inCode
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '!', '~', '+', '-':
			if run++; run > max {
				return line, col, fmt.Errorf("more than %d prefix operators in a row", max)
			}
			continue
		}
		run = 0
		switch c {
		case ';', ',':
			arrows = 0
		case '=':
			if i+1 < len(src) && src[i+1] == '>' {
				if arrows++; arrows > max {
					return line, col, fmt.Errorf("more than %d arrow functions in one expression", max)
				}
			}
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				state = inLineComment
			} else if i+1 < len(src) && src[i+1] == '*' {
				i++
				col++
				state = inBlockComment
			}
		case '\'':
			state = inSingle
		case '"':
			state = inDouble
		case '`':
			state = inTemplate
		case '(', '[', '{':
			stack = append(stack, false)
			if len(stack) > max {
				return line, col, fmt.Errorf("brackets nested deeper than %d levels", max)
			}
		case ')', ']', '}':
			if n := len(stack); n > 0 {
				if stack[n-1] && c == '}' {
					state = inTemplate
				}
				stack = stack[:n-1]
			}
		}
	}
	return 0, 0, nil
}
