package sink

import (
	"encoding/binary"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/tag"
)

// hdrLine opens every NATS header block.
const hdrLine = "NATS/1.0\r\n"

// validKeyByte marks the bytes nats.go accepts in a header key: printable
// ASCII (33 to 126) except " ( ) / , : ; < = > ? @ [ \ ] { }.
var validKeyByte = func() (t [256]bool) {
	for c := 33; c <= 126; c++ {
		t[c] = !strings.ContainsRune(`"()/,:;<=>?@[\]{}`, rune(c))
	}
	return t
}()

// ValidHeaderKey reports whether nats.go accepts k as a header key. It is
// the one rule for header keys: the site file's nats.headers is checked with
// it too, so a key check accepts is never refused at publish time.
func ValidHeaderKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !validKeyByte[k[i]] {
			return false
		}
	}
	return true
}

// refusedKey is the error for a header key nats.go refuses.
func refusedKey(k string) error {
	return fmt.Errorf("meta key %q cannot be a NATS header key (printable ASCII without spaces or \"(),/:;<=>?@[\\]{}; leave it out with nats.headers): %w", k, nats.ErrBadHeaderMsg)
}

// keySet is a Bloom filter of header keys: each key sets one bit in each
// of two words, so that two headers can only share a key when they share
// both bits.
type keySet [2]uint64

// keyBits returns the bits of k in a keySet.
func keyBits(k string) keySet {
	h := uint64(len(k))
	if k != "" {
		h |= uint64(k[0])<<8 | uint64(k[len(k)/2])<<16 | uint64(k[len(k)-1])<<24 | uint64(k[len(k)*3/4])<<32
	}
	h *= 0x9e3779b97f4a7c15
	return keySet{1 << (h >> 58), 1 << (h >> 52 & 63)}
}

// mayHold reports whether s may hold a key of bits b.
func (s keySet) mayHold(b keySet) bool { return s[0]&b[0] != 0 && s[1]&b[1] != 0 }

// add adds the bits b to s.
func (s *keySet) add(b keySet) { s[0], s[1] = s[0]|b[0], s[1]|b[1] }

// blockKeys is what appendHeaders learnt of the keys of one header layout
// when it checked them: all are valid, the keySet of their keys, and
// whether a key is given twice.
type blockKeys struct {
	layout *tag.HeaderLayout
	keys   keySet
	dup    bool
}

// appendHeaders appends to buf the NATS header block that PublishMsg would
// encode for m: every header key once, with its last value (as when the
// headers are set one by one in a nats.Header), each value trimmed of
// surrounding ASCII white space and with CR and LF turned into spaces. With
// withID the block carries Nats-Msg-Id: MsgID(m) unless m has that header
// already. The keys keep their order, each at its first place.
//
// hdr is nil when there is nothing to send, so that the message goes out
// without a header block; idStart and idEnd delimit the Nats-Msg-Id value
// in hdr (both 0 without one). A key nats.go would refuse makes it return
// an error that names the key and wraps nats.ErrBadHeaderMsg. The keys of m's header block are checked only when
// its layout is not the one bk holds; bk then learns the new layout.
func appendHeaders(buf []byte, m *tag.Message, withID bool, bk *blockKeys) (hdr []byte, idStart, idEnd int, err error) {
	n, nb := m.NumHeaders(), m.SharedHeaders.Len()
	if n == 0 && !withID {
		return nil, 0, 0, nil
	}
	// Keys are compared only when the keys before may hold one (keySet).
	var seen keySet
	dup := false
	if nb > 0 {
		if l := m.SharedHeaders.Layout(); l != bk.layout {
			k := blockKeys{layout: l}
			for i := range nb {
				key := l.Spec(i).Key
				if !ValidHeaderKey(key) {
					return nil, 0, 0, refusedKey(key)
				}
				bits := keyBits(key)
				k.dup = k.dup || k.keys.mayHold(bits) && repeated(m, nb, i)
				k.keys.add(bits)
			}
			*bk = k
		}
		seen, dup = bk.keys, bk.dup
	}
	for i, h := range m.Headers {
		if !ValidHeaderKey(h.Key) {
			return nil, 0, 0, refusedKey(h.Key)
		}
		bits := keyBits(h.Key)
		dup = dup || seen.mayHold(bits) && repeated(m, nb, nb+i)
		seen.add(bits)
	}

	buf = append(buf[:0], hdrLine...)
	for i := range n {
		h := headerAt(m, nb, i)
		if dup {
			// A repeated key is written once, at its first place, with
			// its last value.
			if repeated(m, nb, i) {
				continue
			}
			for j := i + 1; j < n; j++ {
				if keyAt(m, nb, j) == h.Key {
					h.Value = headerAt(m, nb, j).Value
				}
			}
		}
		buf = append(buf, h.Key...)
		buf = append(buf, ": "...)
		start := len(buf)
		buf = appendHeaderValue(buf, h.Value)
		if h.Key == MsgIDHeader {
			idStart, idEnd = start, len(buf)
			withID = false
		}
		buf = append(buf, "\r\n"...)
	}
	if withID {
		buf = append(buf, MsgIDHeader+": "...)
		idStart = len(buf)
		buf = appendMsgID(buf, m)
		idEnd = len(buf)
		buf = append(buf, "\r\n"...)
	}
	return append(buf, "\r\n"...), idStart, idEnd, nil
}

// repeated reports whether the key of header i of m is that of an earlier
// header; its block has nb headers.
func repeated(m *tag.Message, nb, i int) bool {
	k := keyAt(m, nb, i)
	for j := range i {
		if keyAt(m, nb, j) == k {
			return true
		}
	}
	return false
}

// keyAt returns the key of header i of m, whose block has nb headers.
func keyAt(m *tag.Message, nb, i int) string {
	if i < nb {
		return m.SharedHeaders.Layout().Spec(i).Key
	}
	return m.Headers[i-nb].Key
}

// headerAt returns header i of m, whose block has nb headers.
func headerAt(m *tag.Message, nb, i int) tag.Header {
	if i < nb {
		return m.SharedHeaders.At(i)
	}
	return m.Headers[i-nb]
}

// appendHeaderValue appends v as nats.go writes a header value: trimmed of
// surrounding ASCII white space, with CR and LF turned into spaces so that a
// value cannot end its header line.
func appendHeaderValue(buf []byte, v string) []byte {
	start := len(buf)
	buf = append(buf, v...)
	if v == "" || !isSpace(v[0]) && !isSpace(v[len(v)-1]) && !hasLineBreak(buf[start:]) {
		return buf // the usual case: nothing to change
	}
	buf = append(buf[:start], textproto.TrimString(v)...)
	for i := start; i < len(buf); i++ {
		if buf[i] == '\r' || buf[i] == '\n' {
			buf[i] = ' '
		}
	}
	return buf
}

// hasLineBreak reports whether b holds a CR or LF, looking at eight bytes
// at a time.
func hasLineBreak(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// A byte of cr (lf) is zero where w holds a CR (LF).
		cr, lf := w^(ones*'\r'), w^(ones*'\n')
		if ((cr-ones)&^cr|(lf-ones)&^lf)&highs != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '\r' || b[i] == '\n' {
			return true
		}
	}
	return false
}

// isSpace reports whether textproto.TrimString trims c.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
