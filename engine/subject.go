package engine

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SubjectError explains why a subject cannot be built: which field, which
// token, and what is wrong with it. Messages failing with it are counted
// with reason invalid_subject.
type SubjectError struct {
	// Field is the meta key (location_path, data_contract, virtual_path,
	// tag_name) or subject_prefix.
	Field string
	// Value is the field's whole value.
	Value string
	// Token is the offending dot-separated token ("" for an empty token).
	Token string
	// Problem says what is wrong, in words.
	Problem string
}

// Error renders `invalid subject: <field> "<value>": <problem>`.
func (e *SubjectError) Error() string {
	return "invalid subject: " + e.Field + " " + quoteShort(e.Value) + ": " + e.Problem
}

// appendSubject validates every token and appends
// prefix.location_path.data_contract[.virtual_path].tag_name to dst.
// Required values are known to be non-empty; virtualPath is normalized
// (see normalizeVirtualPath) and left out when that makes it empty. The error is a *SubjectError naming the field and the offending token
// (reason invalid_subject); dst is then returned unchanged.
//
// Rules: every field is one or more dot-separated tokens and every token
// matches [A-Za-z0-9_-]+ (no empty tokens: no "..", no leading or trailing
// dot). No token of subject_prefix or location_path starts with "_", so the
// data contract is unambiguously the first "_" token. data_contract is
// exactly one token that starts with "_" and is longer than "_".
// virtual_path and tag_name may hold several tokens: a dotted tag name such
// as "axis.x.pos" (UMH's way of forming a path in tag_name) is accepted and
// ends the subject as three tokens, and tokens of these two fields may start
// with "_".
func appendSubject(dst []byte, prefix, location, contract, virtualPath, tagName string) ([]byte, error) {
	if err := checkTokens("subject_prefix", prefix, true); err != nil {
		return dst, err
	}
	if err := checkTokens("location_path", location, true); err != nil {
		return dst, err
	}
	if err := checkContract(contract); err != nil {
		return dst, err
	}
	virtualPath = normalizeVirtualPath(virtualPath)
	vp := virtualPath == ""
	if !vp {
		if err := checkTokens("virtual_path", virtualPath, false); err != nil {
			return dst, err
		}
	}
	if err := checkTokens("tag_name", tagName, false); err != nil {
		return dst, err
	}
	dst = append(dst, prefix...)
	dst = append(dst, '.')
	dst = append(dst, location...)
	dst = append(dst, '.')
	dst = append(dst, contract...)
	if !vp {
		dst = append(dst, '.')
		dst = append(dst, virtualPath...)
	}
	dst = append(dst, '.')
	return append(dst, tagName...), nil
}

// ValidateSubjectPrefix checks tag_processor.subject_prefix by the subject
// rules (dot-separated tokens of [A-Za-z0-9_-]+, none empty, none starting
// with "_"), so a bad prefix is reported once at startup instead of failing
// every message. The error is a *SubjectError.
func ValidateSubjectPrefix(prefix string) error {
	return checkTokens("subject_prefix", prefix, true)
}

// tokenBytes marks the bytes that may appear in a subject token.
var tokenBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	return t
}()

// checkTokens validates the dot-separated tokens of one field. With
// noUnderscore, no token may start with '_'.
func checkTokens(field, s string, noUnderscore bool) error {
	if s == "" {
		return &SubjectError{Field: field, Value: s, Problem: "is empty"}
	}
	// Fast path: one pass over the bytes; the slow path below explains.
	prev := byte('.')
	ok := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if prev == '.' {
				ok = false
				break
			}
		} else if !tokenBytes[c] || noUnderscore && c == '_' && prev == '.' {
			ok = false
			break
		}
		prev = c
	}
	if ok && prev != '.' {
		return nil
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if err := checkToken(field, s, s[start:i], start, noUnderscore); err != nil {
			return err
		}
		start = i + 1
	}
	return nil
}

func checkToken(field, value, tok string, at int, noUnderscore bool) error {
	if tok == "" {
		where := "an empty token (\"..\")"
		switch {
		case at == 0:
			where = "a leading dot"
		case at == len(value):
			where = "a trailing dot"
		}
		return &SubjectError{Field: field, Value: value, Problem: "has " + where}
	}
	for i := 0; i < len(tok); i++ {
		if tokenBytes[tok[i]] {
			continue
		}
		r, _ := utf8.DecodeRuneInString(tok[i:])
		return &SubjectError{Field: field, Value: value, Token: tok,
			Problem: "token " + quoteShort(tok) + " contains " + quoteRune(r) + " (only A-Z a-z 0-9 _ - are allowed)"}
	}
	if noUnderscore && tok[0] == '_' {
		return &SubjectError{Field: field, Value: value, Token: tok,
			Problem: "token " + quoteShort(tok) + " starts with '_' (only data_contract may)"}
	}
	return nil
}

func checkContract(s string) error {
	const field = "data_contract"
	if err := checkTokens(field, s, false); err != nil {
		return err
	}
	switch {
	case strings.IndexByte(s, '.') >= 0:
		return &SubjectError{Field: field, Value: s, Problem: "must be a single token (no dots)"}
	case s[0] != '_':
		return &SubjectError{Field: field, Value: s, Token: s, Problem: "must start with '_' (e.g. _historian)"}
	case len(s) == 1:
		return &SubjectError{Field: field, Value: s, Token: s, Problem: "must name a contract after '_' (e.g. _historian)"}
	}
	return nil
}

// quoteRune quotes r for an error message, with its code point when it is
// not printable ASCII: 'ö' (U+00F6), ' ' (U+0020).
func quoteRune(r rune) string {
	if r == utf8.RuneError {
		return "an invalid UTF-8 byte"
	}
	q := strconv.QuoteRune(r)
	if r < 0x21 || r > 0x7e {
		q += fmt.Sprintf(" (U+%04X)", r)
	}
	return q
}
