package engine

import (
	"strings"

	"github.com/edgetag/edgetag/tag"
)

// MetaUMHTopic is the header every message carries with its final subject,
// as United Manufacturing Hub's tag_processor sets metadata umh_topic to
// the final topic. A value a script assigns to it is replaced.
const MetaUMHTopic = "umh_topic"

// normalizeVirtualPath returns virtual_path as United Manufacturing Hub
// uses it: trimmed, and "" when it is then empty or equal, ignoring case,
// to null, nil, <nil> or undefined (what a script's missing value turns
// into as a string). A "" virtual_path is left out of the subject and of
// the headers. It does not allocate.
func normalizeVirtualPath(s string) string {
	if s != "" && s[0] > ' ' && s[len(s)-1] > ' ' {
		// Not padded: only a value of the length and first letter of
		// one of the none words needs a look.
		switch s[0] | 0x20 {
		case 'n', 'u', '<':
			switch len(s) {
			case 3, 4, 5, 9:
			default:
				return s
			}
		default:
			return s
		}
	}
	s = strings.TrimSpace(s)
	for _, none := range [...]string{"null", "nil", "<nil>", "undefined"} {
		if strings.EqualFold(s, none) {
			return ""
		}
	}
	return s
}

// appendHeader appends the header k: v to hs, with virtual_path
// normalized (and left out when that makes it empty) and a script's
// umh_topic left out (finalize adds the real one).
func appendHeader(hs []tag.Header, k, v string) []tag.Header {
	switch k {
	case MetaVirtualPath:
		if v = normalizeVirtualPath(v); v == "" {
			return hs
		}
	case MetaUMHTopic:
		return hs
	}
	return append(hs, tag.Header{Key: k, Value: v})
}
