package jsonl

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
)

// quoteShort quotes s for an error message, shortened to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}

// decimal is a decimal number: [+-]? digits [. digits] [e [+-] digits],
// with digits on at least one side of the point.
var decimal = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// isDecimal reports whether s is a decimal number (no hex, no
// underscores, no "inf" as strconv would take).
func isDecimal(s string) bool { return decimal.MatchString(s) }

// appendString appends s as a JSON string, without escaping <, > and &.
func appendString(dst []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}
