package engine

import (
	"time"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// The msg object a stage receives is a goja dynamic object backed by Go
// state that is reused sample after sample on its runtime: building it costs
// a slice copy instead of a JS object with a dozen properties, reading
// msg.meta.<key> is a short scan, and finalize reads the Go state directly
// instead of exporting JS objects. Reuse is safe because nothing a sample
// does can outlive the sample: the global object and every prototype are
// frozen and cache stores copies. The prototype is reset for every sample
// (Object.setPrototypeOf works on dynamic objects).

// metaEntry is one of a node's Extra keys in msg.meta.
type metaEntry struct {
	key, str string
	// final marks a key finalize reads (location_path, ...).
	final bool
}

// metaOverride is a change of msg.meta relative to the node's entries:
// idx is the base entry it replaces (-1 for a new key); a nil val deletes,
// unless ref is set: then the value is the string of base entry ref-1,
// made into a JS value only when a script reads it (see setRef).
type metaOverride struct {
	idx int
	key string
	val goja.Value
	ref uint8
}

// present reports whether the override holds a value (else it deletes).
func (o *metaOverride) present() bool { return o.val != nil || o.ref != 0 }

// metaHandler implements goja.DynamicObject for msg.meta. Its base entries
// are the node's (the engine keys in header order, see fixedKeys, then the
// node's Extra keys), read from the node and its shared state; changes of
// this sample are kept in over, so starting a sample costs nothing per key.
// Keys keep a stable order: base keys in order (a changed value keeps its
// place), then new keys in the order they were first set.
type metaHandler struct {
	rt    *jsRuntime
	node  *tag.Node
	ns    *nodeState
	extra []metaEntry
	n     int // number of base entries
	over  []metaOverride
	// miss is the last key lookup did not find: goja asks Has before
	// Set for every assignment, so a new key would be searched twice.
	miss string
	// lazy holds the JS values of the timestamps once read.
	lazy     [2]goja.Value
	src, srv time.Time
}

func (m *metaHandler) reset(node *tag.Node, ns *nodeState, src, srv time.Time) {
	clear(m.over)
	m.node, m.ns, m.over = node, ns, m.over[:0]
	m.extra = ns.extra()
	m.n = nodeMetaFixed + len(m.extra)
	m.miss = ""
	m.lazy = [2]goja.Value{}
	m.src, m.srv = src, srv
}

// override replaces base entry i for this sample (nil val deletes it).
func (m *metaHandler) override(i int, val goja.Value) {
	m.over = append(m.over, metaOverride{idx: i, key: m.baseKey(i), val: val})
}

// baseKey returns the key of base entry i.
func (m *metaHandler) baseKey(i int) string {
	if i < nodeMetaFixed {
		return fixedKeys[i]
	}
	return m.extra[i-nodeMetaFixed].key
}

// isTime reports whether base entry i is a timestamp, which has no string
// of its own (see baseStr).
func isTime(i int) bool { return i == idxSourceTime || i == idxServerTime }

// baseStr returns the string of base entry i other than a timestamp.
func (m *metaHandler) baseStr(i int) string {
	n := m.node
	switch i {
	case idxSource:
		return n.Source()
	case idxEndpoint:
		return n.Endpoint()
	case idxNodeID, idxAttrNodeID:
		return n.ID
	case idxTagName:
		return n.Name
	case idxTagGroup:
		return umhTagGroup(n)
	case idxTagPath:
		return umhTagPath(n)
	case idxTagType:
		return m.ns.tagTypeName(n)
	case idxDataType, idxAttrDataType:
		return m.ns.dataTypeName(n)
	case idxStatus, idxAttrStatus:
		return "Good" // see nodeState
	case idxAttrBrowseName:
		return n.BrowseName
	case idxSourceTime, idxServerTime:
		return ""
	}
	return m.extra[i-nodeMetaFixed].str
}

// lookup finds key: the index in over (or -1) and in base (or -1).
func (m *metaHandler) lookup(key string) (o, b int) {
	if key == m.miss && key != "" {
		return -1, -1
	}
	for i := len(m.over) - 1; i >= 0; i-- {
		if m.over[i].key == key {
			return i, m.over[i].idx
		}
	}
	if i := fixedIndex(key); i >= 0 {
		return -1, i
	}
	for i := range m.extra {
		if m.extra[i].key == key {
			return -1, nodeMetaFixed + i
		}
	}
	m.miss = key
	return -1, -1
}

// baseValue returns the JS value of base entry i. Values of strings many
// nodes share (source, endpoint, types, status) are interned per runtime;
// those of the node's own strings are made once and shared by all runtimes
// (see nodeState.sharedValue), unless only a stage being recorded reads
// them; timestamps are formatted on first read.
func (m *metaHandler) baseValue(i int) goja.Value {
	switch i {
	case idxSourceTime, idxServerTime:
		k := 0
		t := m.src
		if i == idxServerTime {
			k, t = 1, m.srv
		}
		if m.lazy[k] == nil {
			m.lazy[k] = m.rt.vm.ToValue(string(m.rt.times.appendTime(nil, t)))
		}
		return m.lazy[k]
	case idxSource, idxEndpoint, idxTagType, idxDataType, idxStatus, idxAttrDataType, idxAttrStatus:
		return m.rt.intern(m.baseStr(i))
	case idxAttrNodeID:
		i = idxNodeID // the same string
	}
	if m.rt.recording {
		// A stage whose result is kept for the node (see cacheable.go,
		// stagecache.go) reads the value once per node: no need to keep
		// it.
		return m.rt.vm.ToValue(m.baseStr(i))
	}
	return m.ns.sharedValue(m.rt.vm, i, m.baseStr(i))
}

// Get implements goja.DynamicObject.
func (m *metaHandler) Get(key string) goja.Value {
	o, b := m.lookup(key)
	if o >= 0 {
		if ov := &m.over[o]; ov.ref != 0 {
			ov.val, ov.ref = m.baseValue(int(ov.ref)-1), 0
		}
		return m.over[o].val // nil when deleted
	}
	if b >= 0 {
		return m.baseValue(b)
	}
	return nil
}

// Set implements goja.DynamicObject.
func (m *metaHandler) Set(key string, val goja.Value) bool {
	if val == nil {
		val = goja.Undefined()
	}
	o, b := m.lookup(key)
	if o >= 0 {
		m.over[o].val, m.over[o].ref = val, 0
		return true
	}
	m.over = append(m.over, metaOverride{idx: b, key: key, val: val})
	m.miss = ""
	return true
}

// setRef sets key, as Set does, to the string of base entry i (one of the
// node's own strings, see refEntry), without making a JS value of it
// unless a script reads the key: a message mostly just publishes it.
func (m *metaHandler) setRef(key string, i int) {
	o, b := m.lookup(key)
	if o >= 0 {
		m.over[o].val, m.over[o].ref = nil, uint8(i+1)
		return
	}
	m.over = append(m.over, metaOverride{idx: b, key: key, ref: uint8(i + 1)})
	m.miss = ""
}

// overStr returns the string of override o, and false when it deletes
// its key or holds no string value (see metaString).
func (m *metaHandler) overStr(o *metaOverride) (string, bool) {
	if o.ref != 0 {
		return m.baseStr(int(o.ref) - 1), true
	}
	return metaValue(o.val)
}

// Has implements goja.DynamicObject.
func (m *metaHandler) Has(key string) bool {
	o, b := m.lookup(key)
	if o >= 0 {
		return m.over[o].present()
	}
	return b >= 0
}

// Delete implements goja.DynamicObject.
func (m *metaHandler) Delete(key string) bool {
	o, b := m.lookup(key)
	switch {
	case o >= 0 && b >= 0:
		m.over[o].val, m.over[o].ref = nil, 0
	case o >= 0:
		m.over = append(m.over[:o], m.over[o+1:]...)
	case b >= 0:
		m.over = append(m.over, metaOverride{idx: b, key: key})
	}
	m.miss = ""
	return true
}

// each calls f for every present key in order.
func (m *metaHandler) each(f func(key string)) {
	for i := range m.n {
		if len(m.over) > 0 {
			if o := m.overOf(i); o >= 0 {
				if m.over[o].present() {
					f(m.over[o].key)
				}
				continue
			}
		}
		f(m.baseKey(i))
	}
	for i := range m.over {
		if m.over[i].idx < 0 && m.over[i].present() {
			f(m.over[i].key)
		}
	}
}

// overOf returns the index in over of the override of base entry i, or -1.
func (m *metaHandler) overOf(i int) int {
	for o := len(m.over) - 1; o >= 0; o-- {
		if m.over[o].idx == i {
			return o
		}
	}
	return -1
}

// Keys implements goja.DynamicObject.
func (m *metaHandler) Keys() []string {
	keys := make([]string, 0, m.n+len(m.over))
	m.each(func(k string) { keys = append(keys, k) })
	return keys
}

// msgHandler implements goja.DynamicObject for msg. Keys other than payload
// and meta may be set by scripts; they are kept for the sample but are not
// part of the published message.
type msgHandler struct {
	payload goja.Value
	meta    goja.Value
	// touched records whether a script read or wrote msg.payload; an
	// untouched payload is published from the original Go value.
	touched bool
	extra   []extraProp
}

type extraProp struct {
	key string
	val goja.Value
}

// Get implements goja.DynamicObject.
func (h *msgHandler) Get(key string) goja.Value {
	switch key {
	case "payload":
		h.touched = true
		return h.payload
	case "meta":
		return h.meta
	}
	for i := range h.extra {
		if h.extra[i].key == key {
			return h.extra[i].val
		}
	}
	return nil
}

// Set implements goja.DynamicObject.
func (h *msgHandler) Set(key string, val goja.Value) bool {
	switch key {
	case "payload":
		h.touched = true
		h.payload = val
		return true
	case "meta":
		h.meta = val
		return true
	}
	for i := range h.extra {
		if h.extra[i].key == key {
			h.extra[i].val = val
			return true
		}
	}
	h.extra = append(h.extra, extraProp{key: key, val: val})
	return true
}

// Has implements goja.DynamicObject.
func (h *msgHandler) Has(key string) bool {
	switch key {
	case "payload":
		return h.payload != nil
	case "meta":
		return h.meta != nil
	}
	for i := range h.extra {
		if h.extra[i].key == key {
			return true
		}
	}
	return false
}

// Delete implements goja.DynamicObject.
func (h *msgHandler) Delete(key string) bool {
	switch key {
	case "payload":
		h.touched = true
		h.payload = nil
		return true
	case "meta":
		h.meta = nil
		return true
	}
	for i := range h.extra {
		if h.extra[i].key == key {
			h.extra = append(h.extra[:i], h.extra[i+1:]...)
			break
		}
	}
	return true
}

// Keys implements goja.DynamicObject.
func (h *msgHandler) Keys() []string {
	keys := make([]string, 0, 2+len(h.extra))
	if h.payload != nil {
		keys = append(keys, "payload")
	}
	if h.meta != nil {
		keys = append(keys, "meta")
	}
	for _, e := range h.extra {
		keys = append(keys, e.key)
	}
	return keys
}

// timeFormatter renders timestamp meta values: RFC 3339 in UTC with the
// fraction the source gave (trailing zeros dropped), exactly as
// time.RFC3339Nano does, but with the date and time of the last two seconds
// seen kept, since samples arrive in bursts within one second.
type timeFormatter struct {
	sec    [2]int64
	prefix [2][19]byte // 2006-01-02T15:04:05
	ok     [2]bool
	next   int
}

// appendTime appends t in RFC 3339 (UTC, nanosecond fraction trimmed).
func (tf *timeFormatter) appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	sec := t.Unix()
	slot := -1
	for i := range tf.sec {
		if tf.ok[i] && tf.sec[i] == sec {
			slot = i
			break
		}
	}
	if slot < 0 {
		slot = tf.next
		tf.next ^= 1
		t.AppendFormat(tf.prefix[slot][:0], "2006-01-02T15:04:05")
		tf.sec[slot], tf.ok[slot] = sec, true
	}
	dst = append(dst, tf.prefix[slot][:]...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		dst = append(dst, frac[:n]...)
	}
	return append(dst, 'Z')
}
