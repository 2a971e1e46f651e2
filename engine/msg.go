package engine

import (
	"time"

	"github.com/dop251/goja"
)

// The msg object a stage receives is a goja dynamic object backed by Go
// state that is reused sample after sample on its runtime: building it costs
// a slice copy instead of a JS object with a dozen properties, reading
// msg.meta.<key> is a short scan, and finalize reads the Go state directly
// instead of exporting JS objects. Reuse is safe because nothing a sample
// does can outlive the sample: the global object and every prototype are
// frozen and cache stores copies. The prototype is reset for every sample
// (Object.setPrototypeOf works on dynamic objects).

// entryKind tells where a meta entry's value comes from.
type entryKind uint8

const (
	// entryConst: str is the value and val its JS form (built per node).
	entryConst entryKind = iota
	// entrySourceTime, entryServerTime: the sample's timestamp, formatted
	// only when a script reads it or a header needs it.
	entrySourceTime
	entryServerTime
	// entryJS: val is a value a script set; str is unused.
	entryJS
)

// metaEntry is one msg.meta key.
type metaEntry struct {
	key  string
	kind entryKind
	str  string
	val  goja.Value // nil for a timestamp not read yet
}

// metaHandler implements goja.DynamicObject for msg.meta.
type metaHandler struct {
	rt      *jsRuntime
	entries []metaEntry // in header order: node keys, then keys set by scripts
	src     time.Time
	srv     time.Time
}

func (m *metaHandler) find(key string) int {
	for i := range m.entries {
		if m.entries[i].key == key {
			return i
		}
	}
	return -1
}

// Get implements goja.DynamicObject.
func (m *metaHandler) Get(key string) goja.Value {
	i := m.find(key)
	if i < 0 {
		return nil
	}
	e := &m.entries[i]
	if e.val == nil {
		t := m.src
		if e.kind == entryServerTime {
			t = m.srv
		}
		e.str = formatTime(t)
		e.val = m.rt.vm.ToValue(e.str)
	}
	return e.val
}

// Set implements goja.DynamicObject.
func (m *metaHandler) Set(key string, val goja.Value) bool {
	if i := m.find(key); i >= 0 {
		m.entries[i] = metaEntry{key: key, kind: entryJS, val: val}
		return true
	}
	m.entries = append(m.entries, metaEntry{key: key, kind: entryJS, val: val})
	return true
}

// Has implements goja.DynamicObject.
func (m *metaHandler) Has(key string) bool { return m.find(key) >= 0 }

// Delete implements goja.DynamicObject.
func (m *metaHandler) Delete(key string) bool {
	if i := m.find(key); i >= 0 {
		m.entries = append(m.entries[:i], m.entries[i+1:]...)
	}
	return true
}

// Keys implements goja.DynamicObject.
func (m *metaHandler) Keys() []string {
	keys := make([]string, len(m.entries))
	for i := range m.entries {
		keys[i] = m.entries[i].key
	}
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

// formatTime renders a timestamp meta value: RFC 3339 in UTC with the
// fraction the source gave (trailing zeros dropped).
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// appendTime appends formatTime(t) to dst.
func appendTime(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}
