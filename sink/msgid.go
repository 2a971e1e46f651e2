package sink

import "github.com/edgetag/edgetag/tag"

// MsgIDHeader is the header JetStream de-duplicates on.
const MsgIDHeader = "Nats-Msg-Id"

// FNV-1a 64 parameters; the second lane starts from a different offset basis
// so the two lanes together give a 128-bit id.
const (
	fnvOffset1 = 14695981039346656037
	fnvOffset2 = 0x6c62272e07bb0142
	fnvPrime   = 1099511628211
)

// MsgID returns the de-duplication id of m: 16 characters of URL-safe
// base64 (RFC 4648, no padding) encoding 96 bits of a 128-bit FNV-1a hash
// (two 64-bit lanes) over the subject, the payload, the node key (source
// and node id) and the source timestamp. It depends only on the message, so
// a message published twice — a retry after a lost ack, or a replay after a
// restart — gets the same id and is stored once within the stream's
// duplicate window, while two different values of one node (or one value at
// two source times) never share an id. The payload carries the value and
// the message timestamp, so messages without a source timestamp still differ
// by their receive time.
//
// 96 bits keep a false duplicate out of reach (about 2^-61 for the 280,000
// ids of the embedded stream's 8 s window at 35,000 msg/s) while the id is half the 32 hex
// digits of the full hash: every stored message carries it, and the server
// holds every id of the window in memory.
func MsgID(m *tag.Message) string {
	return string(appendMsgID(make([]byte, 0, msgIDLen), m))
}

// appendMsgID appends MsgID(m) to buf.
func appendMsgID(buf []byte, m *tag.Message) []byte {
	h1, h2 := uint64(fnvOffset1), uint64(fnvOffset2)
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			h1 = (h1 ^ uint64(s[i])) * fnvPrime
			h2 = (h2 ^ uint64(s[i])) * fnvPrime
		}
		// A separator byte so that ("ab","c") and ("a","bc") differ.
		h1 = (h1 ^ 0xff) * fnvPrime
		h2 = (h2 ^ 0xfe) * fnvPrime
	}
	mix(m.Subject)
	for _, b := range m.Payload {
		h1 = (h1 ^ uint64(b)) * fnvPrime
		h2 = (h2 ^ uint64(b)) * fnvPrime
	}
	h1 = (h1 ^ 0xff) * fnvPrime
	h2 = (h2 ^ 0xfe) * fnvPrime
	if m.Node != nil {
		mix(m.Node.Source())
		mix(m.Node.ID)
	}
	var ts uint64
	if !m.SourceTime.IsZero() {
		ts = uint64(m.SourceTime.UnixNano())
	}
	for i := 0; i < 8; i++ {
		h1 = (h1 ^ (ts & 0xff)) * fnvPrime
		h2 = (h2 ^ (ts & 0xff)) * fnvPrime
		ts >>= 8
	}
	return appendBase64(buf, h1, h2)
}

// msgIDLen is the length of a MsgID.
const msgIDLen = 16

// appendBase64 appends the URL-safe base64 of the 96 bits h1 and the high
// 32 bits of h2, most significant first: four groups of 24 bits, four
// characters each.
func appendBase64(buf []byte, h1, h2 uint64) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	groups := [4]uint64{h1 >> 40, h1 >> 16 & 0xffffff, (h1&0xffff)<<8 | h2>>56, h2 >> 32 & 0xffffff}
	for _, g := range groups {
		buf = append(buf, alphabet[g>>18&63], alphabet[g>>12&63], alphabet[g>>6&63], alphabet[g&63])
	}
	return buf
}
