package siteconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxProblemSearch bounds the prefixes parsed to find the line of a YAML
// parser error (see problemLine).
const maxProblemSearch = 5000

// syntaxError locates a YAML syntax error. yaml.v3 names the line where
// the enclosing block starts for a parser error ("did not find expected
// key" in a mapping begun on line 2 while the stray indentation is on line
// 7), so the line of the problem itself is found by parsing ever longer
// prefixes of the file from there: the first that fails the same way ends
// on it.
func syntaxError(data []byte, file string, err error) *Error {
	ce := &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return ce
	}
	ce.Line, _ = strconv.Atoi(m[1])
	ce.Msg = "invalid YAML: " + m[2]
	if !strings.HasPrefix(m[2], "did not find expected") {
		return ce // scanner errors carry the problem's own line
	}
	if line, col := problemLine(data, ce.Line, err.Error()); line > ce.Line {
		ce.Msg += fmt.Sprintf(" (check the indentation here; the enclosing block starts at line %d)", ce.Line)
		ce.Line, ce.Column = line, col
	}
	return ce
}

// problemLine returns the line (and the column of its first character)
// whose addition to the file's first lines makes the parse fail with
// message, searching from line from on; 0 when not found.
func problemLine(data []byte, from int, message string) (line, column int) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	end := 0 // bytes in lines[:from-1]
	for i := 0; i < from-1 && i < len(lines); i++ {
		end += len(lines[i])
	}
	for n := from; n <= len(lines) && n-from < maxProblemSearch; n++ {
		end += len(lines[n-1])
		if err := parseAll(data[:end]); err != nil && err.Error() == message {
			text := lines[n-1]
			indent := len(text) - len(bytes.TrimLeft(text, " \t"))
			return n, utf8.RuneCount(text[:indent]) + 1
		}
	}
	return 0, 0
}

// parseAll parses every document of data.
func parseAll(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// checkUTF8 reports the first byte of data that is not UTF-8 with its line
// and column (yaml.v3 names neither). A file starting with a UTF-16 byte
// order mark is left to yaml.v3, which reads UTF-16.
func checkUTF8(data []byte, file string) *Error {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	lineStart := bytes.LastIndexByte(data[:off], '\n') + 1
	return &Error{
		File: file, Line: bytes.Count(data[:off], []byte("\n")) + 1, Column: utf8.RuneCount(data[lineStart:off]) + 1,
		Msg: fmt.Sprintf("invalid YAML: byte 0x%02X is not UTF-8 (save the file as UTF-8; was it written as Latin-1 or Windows-1252?)", data[off]),
	}
}
