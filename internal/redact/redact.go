// Package redact removes credentials from text before it is printed: the
// user information of every URL (nats://user:pass@host, a token in the user
// position, a leafnode URL with credentials) and any of a set of known
// secret values. Every output of edgetag that may quote a URL or a
// configured value (check's problems, logs, /readyz, errors) goes through
// it.
package redact

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// Mask replaces what is redacted.
const Mask = "REDACTED"

// URLs returns text with the user information of every URL in it replaced
// by Mask: in "scheme://userinfo@host..." everything between "://" and the
// last '@' before the end of the authority becomes Mask. It works on URLs
// that do not parse (those are the ones quoted in errors) and on lists
// ("nats://a:b@h1,nats://c:d@h2") and free text alike.
func URLs(text string) string {
	if !strings.Contains(text, "://") {
		return text
	}
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i+3])
		rest = rest[i+3:]
		end := authorityEnd(rest)
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			b.WriteString(Mask)
			rest = rest[at:]
		}
	}
}

// authorityEnd returns the length of the URL authority at the start of s:
// up to a path, query, fragment, list separator, quote or white space.
func authorityEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', '?', '#', ',', ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>', '\\':
			return i
		}
	}
	return len(s)
}

// MinSecretLen is the shortest secret value Scrubber replaces: shorter ones
// would mangle ordinary words of the text they occur in.
const MinSecretLen = 4

// Scrubber replaces known secret values (and URL credentials) in text. It
// is safe for concurrent use; Add may be called while others scrub (a
// reload that brings new passwords). The zero value and nil only redact
// URLs.
type Scrubber struct {
	mu sync.Mutex // serializes Add
	// secrets is replaced, never modified, by Add.
	secrets atomic.Pointer[[][]byte]
}

// NewScrubber returns a scrubber for the given secret values; empty values
// and values shorter than MinSecretLen are ignored.
func NewScrubber(secrets ...string) *Scrubber {
	s := &Scrubber{}
	s.Add(secrets...)
	return s
}

// Add makes s also replace secrets (the same rules as NewScrubber).
func (s *Scrubber) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next [][]byte
	if cur := s.secrets.Load(); cur != nil {
		next = append(next, *cur...)
	}
	add := func(v []byte) {
		for _, have := range next {
			if bytes.Equal(have, v) {
				return
			}
		}
		next = append(next, v)
	}
	for _, v := range secrets {
		if len(v) < MinSecretLen {
			continue
		}
		add([]byte(v))
		// As it appears inside a JSON string (a JSON log line).
		if q, err := json.Marshal(v); err == nil && string(q[1:len(q)-1]) != v {
			add(q[1 : len(q)-1])
		}
	}
	s.secrets.Store(&next)
}

// list returns the secrets to replace.
func (s *Scrubber) list() [][]byte {
	if s == nil {
		return nil
	}
	if p := s.secrets.Load(); p != nil {
		return *p
	}
	return nil
}

// String returns text with URL credentials and every known secret replaced
// by Mask.
func (s *Scrubber) String(text string) string {
	text = URLs(text)
	for _, v := range s.list() {
		text = strings.ReplaceAll(text, string(v), Mask)
	}
	return text
}

// Bytes is String for a byte slice; it returns p itself when nothing needs
// redacting.
func (s *Scrubber) Bytes(p []byte) []byte {
	// Only a URL with an '@' can carry credentials.
	dirty := bytes.IndexByte(p, '@') >= 0 && bytes.Contains(p, []byte("://"))
	if !dirty {
		for _, v := range s.list() {
			if bytes.Contains(p, v) {
				dirty = true
				break
			}
		}
	}
	if !dirty {
		return p
	}
	return []byte(s.String(string(p)))
}

// Writer returns a writer that scrubs each Write's bytes with s before
// passing them to w. zerolog writes one whole event per Write, so a secret
// is never split across two calls. Write reports len(p) when w took the
// scrubbed bytes.
func Writer(w io.Writer, s *Scrubber) io.Writer { return &writer{w: w, s: s} }

type writer struct {
	w io.Writer
	s *Scrubber
}

// Write implements io.Writer.
func (w *writer) Write(p []byte) (int, error) {
	if _, err := w.w.Write(w.s.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
