package sink

import (
	"net/textproto"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/tag"
)

// hdrLine opens every NATS header block.
const hdrLine = "NATS/1.0\r\n"

// validKeyByte marks the bytes nats.go accepts in a header key: printable
// ASCII except "()/,:;<=>?@[\]{} and the double quote.
var validKeyByte = func() (t [256]bool) {
	for c := 33; c <= 126; c++ {
		t[c] = !strings.ContainsRune(`"()/,:;<=>?@[\]{}`, rune(c))
	}
	return t
}()

// validHeaderKey reports whether nats.go accepts k as a header key.
func validHeaderKey(k string) bool {
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

// keyBit spreads header keys over 64 bits, so that two headers can only
// share a key when they share a bit.
func keyBit(k string) uint64 {
	h := uint64(len(k))
	if k != "" {
		h |= uint64(k[0])<<8 | uint64(k[len(k)/2])<<16 | uint64(k[len(k)-1])<<24 | uint64(k[len(k)*3/4])<<32
	}
	return 1 << (h * 0x9e3779b97f4a7c15 >> 58)
}

// maxBits is how many headers' key bits appendHeaders keeps on the stack;
// beyond, it compares every key with the others.
const maxBits = 64

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
// nats.ErrBadHeaderMsg. The keys of a block whose layout is valid are not
// checked again: valid is that layout, updated when the block's keys pass.
func appendHeaders(buf []byte, m *tag.Message, withID bool, valid **tag.HeaderLayout) (hdr []byte, idStart, idEnd int, err error) {
	n, nb := m.NumHeaders(), m.SharedHeaders.Len()
	if n == 0 && !withID {
		return nil, 0, 0, nil
	}
	// Two headers can only share a key if they share a bit; only keys
	// whose bit is in shared are compared with the others.
	var seen, shared uint64
	var bits [maxBits]uint64
	checkBlock := nb > 0 && m.SharedHeaders.Layout() != *valid
	for i := range n {
		k := headerAt(m, nb, i).Key
		if (i >= nb || checkBlock) && !validHeaderKey(k) {
			return nil, 0, 0, nats.ErrBadHeaderMsg
		}
		bit := keyBit(k)
		shared |= seen & bit
		seen |= bit
		if i < maxBits {
			bits[i] = bit
		}
	}
	if checkBlock {
		*valid = m.SharedHeaders.Layout()
	}

	buf = append(buf[:0], hdrLine...)
	for i := range n {
		h := headerAt(m, nb, i)
		if bit := keyBit(h.Key); shared&bit != 0 {
			// A repeated key is written once, at its first place, with
			// its last value.
			same := func(j int) bool {
				return (j >= maxBits || bits[j] == bit) && headerAt(m, nb, j).Key == h.Key
			}
			first := true
			for j := range i {
				if same(j) {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			for j := i + 1; j < n; j++ {
				if same(j) {
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
		buf = append(buf, MsgID(m)...)
		idEnd = len(buf)
		buf = append(buf, "\r\n"...)
	}
	return append(buf, "\r\n"...), idStart, idEnd, nil
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
	if !needsCleaning(v) {
		return append(buf, v...)
	}
	v = textproto.TrimString(v)
	start := len(buf)
	buf = append(buf, v...)
	for i := start; i < len(buf); i++ {
		if buf[i] == '\r' || buf[i] == '\n' {
			buf[i] = ' '
		}
	}
	return buf
}

// needsCleaning reports whether appendHeaderValue must change v: it starts
// or ends with white space, or holds a CR or LF.
func needsCleaning(v string) bool {
	if v == "" {
		return false
	}
	if isSpace(v[0]) || isSpace(v[len(v)-1]) {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			return true
		}
	}
	return false
}

// isSpace reports whether textproto.TrimString trims c.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
