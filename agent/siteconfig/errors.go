package siteconfig

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a site file, located by line and column
// (1-based; 0 when unknown) and by its key path, such as
// sources[1].nodes[0].id.
type Error struct {
	File   string
	Line   int
	Column int
	// Path is the key path of the offending value ("" for the whole file).
	Path string
	// Msg says what is wrong: it names the key, the value and what is
	// allowed.
	Msg string
	// Err is the underlying error when there is one (a read error, an
	// engine compile error), so errors.As reaches it.
	Err error
}

// Error renders "file:line:col: path: msg", leaving out the parts that are
// unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		if e.Column > 0 {
			b.WriteString(strconv.Itoa(e.Column))
			b.WriteByte(':')
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in one site file, sorted by line and
// column. Load and Parse return it (as an error) when the file is invalid.
type Errors []*Error

// Error renders one problem per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.As finds a *Error and
// anything it wraps.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors orders problems by file (a site file's problems and those of
// the nodes files it names stay together), then line, then column, then
// path, keeping the order of discovery among equals.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Column, b.Column); c != 0 {
			return c
		}
		return cmp.Compare(a.Path, b.Path)
	})
}
