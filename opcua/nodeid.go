package opcua

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gopcua/opcua/ua"
)

// ErrUnknownNamespace is returned (wrapped) by ParseNodeID when an nsu= id
// names a namespace URI that is not in the server's NamespaceArray. Unlike
// a malformed id it can become valid after the server's address space
// changes (a PLC download), so callers retry it after the next connect.
var ErrUnknownNamespace = errors.New("namespace uri not in the server's namespace array")

// ErrInvalidNodeID is returned (wrapped) by ParseNodeID for a malformed id.
var ErrInvalidNodeID = errors.New("invalid node id")

// ParseNodeID parses a node id in the standard string forms of OPC UA
// Part 6 §5.3.1.10:
//
//	i=85                          numeric, namespace 0
//	s=Name, g=<guid>, b=<base64>  string, guid, opaque, namespace 0
//	ns=2;s=Line1.Temp             any of the above in namespace 2
//	nsu=urn:acme:plc;s=Motor      namespace given by its URI
//
// An nsu= id is resolved against namespaces, the server's NamespaceArray
// (index = namespace index), so the returned id carries a namespace index
// and no URI. Surrounding white space is ignored; everything after the
// first "x=" of the identifier is the identifier, so string ids may hold
// ';' and '='. The identifier type prefix is required (unlike gopcua's
// parser, "ns=2;Foo" is refused: it is almost always a typo).
//
// Errors name the id and the problem and wrap ErrInvalidNodeID or, for an
// unknown namespace URI, ErrUnknownNamespace.
func ParseNodeID(s string, namespaces []string) (*ua.NodeID, error) {
	id := strings.TrimSpace(s)
	if id == "" {
		return nil, fmt.Errorf("node id %q: empty: %w", s, ErrInvalidNodeID)
	}
	var ns uint16
	rest := id
	switch {
	case strings.HasPrefix(id, "nsu="):
		uri, ident, ok := strings.Cut(id[len("nsu="):], ";")
		if !ok {
			return nil, fmt.Errorf("node id %q: missing ';' and identifier after the namespace uri: %w", s, ErrInvalidNodeID)
		}
		if uri == "" {
			return nil, fmt.Errorf("node id %q: empty namespace uri: %w", s, ErrInvalidNodeID)
		}
		idx := -1
		for i, u := range namespaces {
			if u == uri {
				idx = i
				break
			}
		}
		if idx < 0 || idx > math.MaxUint16 {
			if len(namespaces) == 0 {
				return nil, fmt.Errorf("node id %q: namespace uri %q cannot be resolved without the server's namespace array: %w", s, uri, ErrUnknownNamespace)
			}
			return nil, fmt.Errorf("node id %q: namespace uri %q: %w", s, uri, ErrUnknownNamespace)
		}
		ns, rest = uint16(idx), ident
	case strings.HasPrefix(id, "ns="):
		num, ident, ok := strings.Cut(id[len("ns="):], ";")
		if !ok {
			return nil, fmt.Errorf("node id %q: missing ';' and identifier after the namespace index: %w", s, ErrInvalidNodeID)
		}
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("node id %q: namespace index %q is not a number in 0..65535: %w", s, num, ErrInvalidNodeID)
		}
		ns, rest = uint16(n), ident
	case strings.HasPrefix(id, "svr="):
		return nil, fmt.Errorf("node id %q: server index (svr=) is not supported: %w", s, ErrInvalidNodeID)
	}
	return parseIdentifier(s, ns, rest)
}

// parseIdentifier parses the "x=..." part of a node id in namespace ns; s is
// the whole id for error messages.
func parseIdentifier(s string, ns uint16, ident string) (*ua.NodeID, error) {
	if len(ident) < 2 || ident[1] != '=' {
		return nil, fmt.Errorf("node id %q: identifier must start with i=, s=, g= or b=: %w", s, ErrInvalidNodeID)
	}
	val := ident[2:]
	switch ident[0] {
	case 'i':
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("node id %q: numeric identifier %q is not a number in 0..4294967295: %w", s, val, ErrInvalidNodeID)
		}
		return numericNodeID(ns, uint32(n)), nil
	case 's':
		if val == "" {
			return nil, fmt.Errorf("node id %q: empty string identifier: %w", s, ErrInvalidNodeID)
		}
		return ua.NewStringNodeID(ns, val), nil
	case 'g':
		if !validGUID(val) {
			return nil, fmt.Errorf("node id %q: guid identifier %q is not of the form 72962B91-FA75-4AE6-8D28-B404DC7DAF63: %w", s, val, ErrInvalidNodeID)
		}
		return ua.NewGUIDNodeID(ns, val), nil
	case 'b':
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("node id %q: opaque identifier %q is not non-empty base64: %w", s, val, ErrInvalidNodeID)
		}
		return ua.NewByteStringNodeID(ns, b), nil
	default:
		return nil, fmt.Errorf("node id %q: identifier must start with i=, s=, g= or b=: %w", s, ErrInvalidNodeID)
	}
}

// numericNodeID returns the smallest encoding that holds ns and id, as
// gopcua's own parser does, so ids compare equal whichever way they were
// made.
func numericNodeID(ns uint16, id uint32) *ua.NodeID {
	switch {
	case ns == 0 && id <= math.MaxUint8:
		return ua.NewTwoByteNodeID(uint8(id))
	case ns <= math.MaxUint8 && id <= math.MaxUint16:
		return ua.NewFourByteNodeID(uint8(ns), uint16(id))
	default:
		return ua.NewNumericNodeID(ns, id)
	}
}

// validGUID reports whether s is a GUID in the 8-4-4-4-12 hex form.
func validGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// FormatNodeID returns the standard string form of id (ns=2;s=Foo, i=85),
// or "" for a nil id. It is the form used in tag.Node.ID.
func FormatNodeID(id *ua.NodeID) string {
	if id == nil {
		return ""
	}
	switch id.Type() {
	case ua.NodeIDTypeTwoByte, ua.NodeIDTypeFourByte, ua.NodeIDTypeNumeric,
		ua.NodeIDTypeString, ua.NodeIDTypeGUID, ua.NodeIDTypeByteString:
		return id.String()
	default:
		return ""
	}
}

// formatExpandedNodeID returns the standard string form of an expanded
// node id: nsu=<uri>;<identifier> when it carries a namespace URI, with a
// svr=<n>; prefix when it names another server.
func formatExpandedNodeID(e *ua.ExpandedNodeID) string {
	if e == nil || e.NodeID == nil {
		return ""
	}
	s := FormatNodeID(e.NodeID)
	if e.NamespaceURI != "" {
		// Drop the ns=N; part: the URI replaces the index.
		if _, ident, ok := strings.Cut(s, ";"); ok && strings.HasPrefix(s, "ns=") {
			s = ident
		}
		s = "nsu=" + e.NamespaceURI + ";" + s
	}
	if e.ServerIndex != 0 {
		s = "svr=" + strconv.FormatUint(uint64(e.ServerIndex), 10) + ";" + s
	}
	return s
}
