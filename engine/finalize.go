package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/dop251/goja"

	"github.com/edgetag/edgetag/tag"
)

// Meta keys finalize reads.
const (
	MetaLocationPath = "location_path"
	MetaDataContract = "data_contract"
	MetaTagNameKey   = "tag_name"
	MetaVirtualPath  = "virtual_path"
	MetaDatatype     = "datatype"
	MetaTimestampMs  = "timestamp_ms"
	MetaTimestamp    = "timestamp"
)

// span locates a header value written into the message's byte arena.
type span struct{ hdr, start, end int }

// final collects what finalize needs from a message's final meta.
type final struct {
	location, contract, tagName, virtualPath, datatype string
	tsMs, ts                                           string
	hasTsMs, hasTs                                     bool
}

func (f *final) note(k, v string) {
	switch k {
	case MetaLocationPath:
		f.location = v
	case MetaDataContract:
		f.contract = v
	case MetaTagNameKey:
		f.tagName = v
	case MetaVirtualPath:
		f.virtualPath = v
	case MetaDatatype:
		f.datatype = v
	case MetaTimestampMs:
		f.tsMs, f.hasTsMs = v, true
	case MetaTimestamp:
		f.ts, f.hasTs = v, true
	}
}

// finalize turns one message object into a tag.Message appended to dst:
// required meta, subject, timestamp, payload and headers. A failure is
// reported (stage finalize) and the message is dropped. It recovers from
// panics of JS conversions (a toJSON that throws, the deadline) so that one
// message can never take the process down.
func (rt *jsRuntime) finalize(s *tag.Sample, m *goja.Object, dst []tag.Message, fail func(Failure)) (out []tag.Message) {
	idx := len(rt.e.stages) - 1
	rt.stage = idx
	out = dst
	defer func() {
		if r := recover(); r != nil {
			f := Failure{Stage: StageFinalize, Reason: ReasonConversion}
			var ie *goja.InterruptedError
			switch x := r.(type) {
			case *goja.InterruptedError:
				f = rt.jsFailure(idx, x)
			case *goja.Exception:
				f.Err = errors.New(rt.exceptionText(x))
			case error:
				if errors.As(x, &ie) {
					f = rt.jsFailure(idx, ie)
				} else {
					f.Err = fmt.Errorf("internal error: %w", x)
				}
			default:
				f.Err = fmt.Errorf("internal error: %v", x)
			}
			f.Stage = StageFinalize
			rt.report(f, idx, fail)
			out = dst
		}
	}()

	// Payload and meta of the message.
	var payload, meta goja.Value
	untouched := false
	if m == rt.msgObj {
		payload, meta, untouched = rt.msg.payload, rt.msg.meta, !rt.msg.touched
	} else {
		payload, meta = m.Get("payload"), m.Get("meta")
	}
	if payload == nil {
		payload = goja.Undefined()
	}
	var js goja.Value
	if !untouched {
		if _, isObj := payload.(*goja.Object); isObj || !payload.SameAs(rt.orig) {
			js = payload
		}
	}

	// Headers in a stable order, timestamps formatted into the arena.
	var f final
	hdrs := rt.hdrs[:0]
	spans := rt.spans[:0]
	buf := rt.buf[:0]
	if meta == rt.metaObj {
		for i := range rt.meta.entries {
			e := &rt.meta.entries[i]
			switch e.kind {
			case entryConst:
				hdrs = append(hdrs, tag.Header{Key: e.key, Value: e.str})
				f.note(e.key, e.str)
			case entrySourceTime, entryServerTime:
				t := rt.meta.src
				if e.kind == entryServerTime {
					t = rt.meta.srv
				}
				start := len(buf)
				buf = appendTime(buf, t)
				spans = append(spans, span{hdr: len(hdrs), start: start, end: len(buf)})
				hdrs = append(hdrs, tag.Header{Key: e.key})
			case entryJS:
				v, ok := metaString(e.val)
				if !ok {
					continue
				}
				hdrs = append(hdrs, tag.Header{Key: e.key, Value: v})
				f.note(e.key, v)
			}
		}
	} else {
		mo := meta.(*goja.Object) // checked when the stage returned it
		for _, k := range mo.Keys() {
			v, ok := metaString(mo.Get(k))
			if !ok {
				continue
			}
			hdrs = append(hdrs, tag.Header{Key: k, Value: v})
			f.note(k, v)
		}
	}
	rt.hdrs, rt.spans = hdrs, spans

	if err := f.missing(); err != nil {
		rt.buf = buf
		rt.report(Failure{Stage: StageFinalize, Reason: ReasonMissingField, Err: err}, idx, fail)
		return dst
	}
	subjStart := len(buf)
	buf, err := appendSubject(buf, rt.e.prefix, f.location, f.contract, f.virtualPath, f.tagName)
	if err != nil {
		rt.buf = buf[:0]
		rt.report(Failure{Stage: StageFinalize, Reason: ReasonInvalidSubject, Err: err}, idx, fail)
		return dst
	}
	subjEnd := len(buf)
	ts := timestampMs(&f, s)
	buf, err = appendPayload(buf, s.Value, js, f.datatype, ts)
	if err != nil {
		rt.buf = buf[:0]
		rt.report(Failure{Stage: StageFinalize, Reason: ReasonConversion, Err: err}, idx, fail)
		return dst
	}
	rt.buf = buf[:0]

	// One allocation holds the subject, the payload and the formatted
	// timestamps; strings alias it, which is safe because a Message is
	// never modified once emitted.
	arena := make([]byte, len(buf))
	copy(arena, buf)
	msg := tag.Message{
		Subject:     unsafeString(arena[subjStart:subjEnd]),
		Payload:     arena[subjEnd:len(arena):len(arena)],
		Headers:     make([]tag.Header, len(hdrs)),
		TimestampMs: ts,
		Node:        s.Node,
		SourceTime:  s.SourceTime,
	}
	copy(msg.Headers, hdrs)
	for _, sp := range spans {
		msg.Headers[sp.hdr].Value = unsafeString(arena[sp.start:sp.end])
	}
	clear(hdrs) // do not keep strings of this message alive
	rt.emitted.Add(1)
	return append(dst, msg)
}

// missing reports the required meta keys that are absent or empty.
func (f *final) missing() error {
	var miss []string
	if f.location == "" {
		miss = append(miss, MetaLocationPath)
	}
	if f.contract == "" {
		miss = append(miss, MetaDataContract)
	}
	if f.tagName == "" {
		miss = append(miss, MetaTagNameKey)
	}
	if miss == nil {
		return nil
	}
	return fmt.Errorf("required meta %s missing or empty", strings.Join(miss, ", "))
}

// timestampMs picks the message timestamp: meta timestamp_ms, else meta
// timestamp, else the sample's source time, server time, receive time (a
// zero time counts as absent), else now. A meta value that does not parse
// falls through to the next source.
func timestampMs(f *final, s *tag.Sample) int64 {
	if f.hasTsMs {
		if ms, ok := parseTimestampMs(f.tsMs); ok {
			return ms
		}
	}
	if f.hasTs {
		if ms, ok := parseTimestampMs(f.ts); ok {
			return ms
		}
	}
	for _, t := range [...]time.Time{s.SourceTime, s.ServerTime, s.ReceivedAt} {
		if !t.IsZero() {
			return t.UnixMilli()
		}
	}
	return time.Now().UnixMilli()
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
