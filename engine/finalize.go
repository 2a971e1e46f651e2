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
	MetaUNSTagName   = "tag_name"
	MetaVirtualPath  = "virtual_path"
	MetaUNSDatatype  = "datatype"
	MetaTimestampMs  = "timestamp_ms"
	MetaTimestamp    = "timestamp"
)

// finalKey reports whether finalize reads meta key k.
func finalKey(k string) bool {
	switch k {
	case MetaLocationPath, MetaDataContract, MetaUNSTagName, MetaVirtualPath, MetaUNSDatatype, MetaTimestampMs, MetaTimestamp:
		return true
	}
	return false
}

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
	case MetaUNSTagName:
		f.tagName = v
	case MetaVirtualPath:
		f.virtualPath = normalizeVirtualPath(v)
	case MetaUNSDatatype:
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

	// Headers in a stable order, timestamps formatted into the arena. With
	// the runtime's own meta object, every header but the timestamps goes
	// into a scratch list that is compared with the node's last shared
	// headers: usually equal, so the message reuses that immutable block,
	// and its subject, and owns only its timestamp headers.
	var f final
	var hdrs []tag.Header
	var shared *tag.HeaderBlock
	var subject string
	spans := rt.spans[:0]
	buf := rt.buf[:0]
	hs := &rt.e.headers
	own := meta == rt.metaObj
	hit := false // the headers are one of the node's shared variants
	if own {
		mh := &rt.meta
		sh := rt.hscratch[:0]
		hdrs = rt.headerSlab(3) // the two timestamps and umh_topic
		for i := range mh.n {
			if len(mh.over) > 0 {
				if o := mh.overOf(i); o >= 0 {
					if v, ok := mh.overStr(&mh.over[o]); ok {
						k := mh.over[o].key
						if hs.has(k) {
							sh = appendHeader(sh, k, v)
						}
						f.note(k, v)
					}
					continue
				}
			}
			if i < nodeMetaFixed {
				k := fixedKeys[i]
				if !hs.has(k) {
					continue // no engine key is final
				}
				if isTime(i) {
					t := mh.src
					if i == idxServerTime {
						t = mh.srv
					}
					start := len(buf)
					buf = rt.times.appendTime(buf, t)
					spans = append(spans, span{hdr: len(hdrs), start: start, end: len(buf)})
					hdrs = append(hdrs, tag.Header{Key: k})
					continue
				}
				sh = append(sh, tag.Header{Key: k, Value: mh.baseStr(i)})
				continue
			}
			e := &mh.extra[i-nodeMetaFixed]
			if hs.has(e.key) {
				sh = appendHeader(sh, e.key, e.str)
			}
			if e.final {
				f.note(e.key, e.str)
			}
		}
		for i := range mh.over {
			o := &mh.over[i]
			if o.idx >= 0 {
				continue
			}
			if v, ok := mh.overStr(o); ok {
				if hs.has(o.key) {
					sh = appendHeader(sh, o.key, v)
				}
				f.note(o.key, v)
			}
		}
		rt.hscratch = sh
		if v := rt.ns.variant(sh); v != nil {
			shared, hit = &v.block, true
			// When the subject's parts are among the headers, equal
			// headers mean an equal subject, and the variant's message
			// passed the checks below.
			if rt.e.subjectInHeaders {
				subject = v.subject
			}
		}
	} else {
		mo := meta.(*goja.Object) // checked when the stage returned it
		keys := mo.Keys()
		hdrs = rt.headerSlab(len(keys) + 1)
		for _, k := range keys {
			if !hs.has(k) && !finalKey(k) {
				continue
			}
			v, ok := metaValue(mo.Get(k))
			if !ok {
				continue
			}
			if hs.has(k) {
				hdrs = appendHeader(hdrs, k, v)
			}
			f.note(k, v)
		}
	}
	rt.spans = spans

	if subject == "" {
		if err := f.missing(); err != nil {
			rt.buf = buf
			rt.report(Failure{Stage: StageFinalize, Reason: ReasonMissingField, Err: err}, idx, fail)
			return dst
		}
		var err error
		if own && rt.e.subjectInHeaders {
			subject, err = rt.newSubject(&f, s.Node)
		} else {
			subject, err = rt.subject(&f, s.Node)
		}
		if err != nil {
			rt.buf = buf[:0]
			rt.report(Failure{Stage: StageFinalize, Reason: ReasonInvalidSubject, Err: err}, idx, fail)
			return dst
		}
	}
	if own && !hit {
		shared = &rt.ns.addVariant(&rt.e.nodes.layouts, s.Node, rt.hscratch, subject).block
	}
	payStart := len(buf)
	ts := timestampMs(&f, s)
	buf, err := appendPayload(buf, sampleValue(s), js, f.datatype, ts, rt.e.maxPayload)
	if err != nil {
		rt.buf = buf[:0]
		reason := ReasonConversion
		if _, ok := asLimit(err); ok {
			reason = ReasonLimit
		}
		rt.report(Failure{Stage: StageFinalize, Reason: reason, Err: err}, idx, fail)
		return dst
	}
	rt.buf = buf[:0]
	if hs.has(MetaUMHTopic) {
		hdrs = append(hdrs, tag.Header{Key: MetaUMHTopic, Value: subject})
	}

	// One arena holds the payload and the formatted timestamps; header
	// strings alias it, which is safe because a Message is never modified
	// once emitted.
	arena := rt.byteSlab(len(buf))
	copy(arena, buf)
	msg := tag.Message{
		Subject:       subject,
		Payload:       arena[payStart:len(arena):len(arena)],
		SharedHeaders: shared,
		Headers:       hdrs[:len(hdrs):len(hdrs)],
		TimestampMs:   ts,
		Node:          s.Node,
		SourceTime:    s.SourceTime,
	}
	for _, sp := range spans {
		msg.Headers[sp.hdr].Value = unsafeString(arena[sp.start:sp.end])
	}
	rt.emitted.Add(1)
	return append(dst, msg)
}

// subject returns the subject of a message whose headers do not tell it
// (see finalize), reusing one of the node's last subjects when its parts are the same
// strings (scripts commonly assign the same literals and meta values every
// time), so each subject of a node is validated and built once. A subject
// built anew is checked against other nodes' (see subjectOwners).
func (rt *jsRuntime) subject(f *final, n *tag.Node) (string, error) {
	if s, ok := rt.ns.lookupSubject(f); ok {
		return s, nil
	}
	b, err := appendSubject(rt.sbuf[:0], rt.e.prefix, f.location, f.contract, f.virtualPath, f.tagName)
	rt.sbuf = b[:0]
	if err != nil {
		return "", err
	}
	s := string(b)
	rt.ns.addSubject(f, s)
	rt.e.subjects.claim(s, n)
	return s, nil
}

// newSubject builds and checks the subject of a message whose headers are
// not among the node's shared ones, taking the string of a shared variant
// with the same subject if there is one (variants often differ only in a
// header that is not part of the subject). A subject built anew is checked
// against other nodes' (see subjectOwners).
func (rt *jsRuntime) newSubject(f *final, n *tag.Node) (string, error) {
	b, err := appendSubject(rt.sbuf[:0], rt.e.prefix, f.location, f.contract, f.virtualPath, f.tagName)
	rt.sbuf = b[:0]
	if err != nil {
		return "", err
	}
	for i := range rt.ns.headerVariants {
		if v := rt.ns.headerVariants[i].Load(); v != nil && v.subject == string(b) {
			return v.subject, nil
		}
	}
	s := string(b)
	rt.e.subjects.claim(s, n)
	return s, nil
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
		miss = append(miss, MetaUNSTagName)
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

// metaValue is metaString for a value that may be nil (absent or deleted).
func metaValue(v goja.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	return metaString(v)
}

// Slabs: the headers and bytes of many messages are carved out of one
// allocation each, which saves two allocations per message. A slab stays
// alive while any message carved from it does, so slabs are small.
const (
	headerSlabLen = 256  // headers (8 KiB)
	byteSlabLen   = 4096 // bytes
)

// headerSlab returns an empty slice with capacity n carved from the
// runtime's header slab; appending beyond n reallocates (never overwrites a
// neighbour, the capacity is capped).
func (rt *jsRuntime) headerSlab(n int) []tag.Header {
	if n > headerSlabLen/4 {
		return make([]tag.Header, 0, n)
	}
	if len(rt.hslab)+n > cap(rt.hslab) {
		rt.hslab = make([]tag.Header, 0, headerSlabLen)
	}
	l := len(rt.hslab)
	rt.hslab = rt.hslab[:l+n]
	return rt.hslab[l : l : l+n]
}

// byteSlab returns a slice of n bytes carved from the runtime's byte slab.
func (rt *jsRuntime) byteSlab(n int) []byte {
	if n > byteSlabLen/4 {
		return make([]byte, n)
	}
	if len(rt.bslab)+n > cap(rt.bslab) {
		rt.bslab = make([]byte, 0, byteSlabLen)
	}
	l := len(rt.bslab)
	rt.bslab = rt.bslab[:l+n]
	return rt.bslab[l : l+n : l+n]
}
