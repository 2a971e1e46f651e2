package opcua

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// Meta keys an event sample carries besides the node's (see README, "Events
// and alarms").
const (
	MetaEventType     = "opcua_event_type"
	MetaEventSource   = "opcua_event_source"
	MetaEventID       = "opcua_event_id"
	MetaEventSeverity = "opcua_event_severity"
	// MetaEventRefresh is "true" on the events a ConditionRefresh re-sent.
	MetaEventRefresh = "opcua_event_refresh"
	// MetaConditionID is the condition's node id (the object to
	// acknowledge), when the event is a condition's.
	MetaConditionID = "opcua_condition_id"
	// MetaEventBadFields lists the fields the server returned an error
	// for, as Name=Status pairs separated by ",": those fields are null.
	MetaEventBadFields = "opcua_event_bad_fields"
	// MetaEventNotifier is the notifier object's node id.
	MetaEventNotifier = "opcua_event_notifier"
)

// AlarmsContract is the data contract of events: the node of an event
// carries data_contract and tag_name (the entry's name), so that a
// tag_processor that sets only location_path publishes events on
// <prefix>.<location_path>._alarms.<name>.
const AlarmsContract = "_alarms"

// maxEventNodes bounds the nodes (one per entry and event type) a source
// keeps for its events; events of further types share their entry's node
// for BaseEventType.
const maxEventNodes = 1024

// eventKind tells refresh brackets from events.
type eventKind uint8

const (
	eventPlain eventKind = iota
	eventRefreshStart
	eventRefreshEnd
)

// eventEntry is one events entry as a source uses it. Immutable.
type eventEntry struct {
	cfg    EventConfig
	fields []eventField
	// name is the tag name of the entry's nodes (subject-safe).
	name string
	// idx are the positions in fields of the fields the source reads.
	idx struct{ eventID, eventType, sourceName, time, receiveTime, severity, conditionID int }
}

// newEventEntry parses an events entry of source srcName.
func newEventEntry(cfg EventConfig, srcName string) (eventEntry, error) {
	if cfg.Notifier == "" {
		cfg.Notifier = DefaultEventNotifier
	}
	fields, err := cfg.eventFields()
	if err != nil {
		return eventEntry{}, err
	}
	e := eventEntry{cfg: cfg, fields: fields, name: SafeName(cfg.Name)}
	if cfg.Name == "" {
		e.name = SafeName(srcName)
	}
	find := func(name string) int {
		for i, f := range fields {
			if f.name == name {
				return i
			}
		}
		return -1
	}
	e.idx.eventID, e.idx.eventType, e.idx.sourceName = find("EventId"), find("EventType"), find("SourceName")
	e.idx.time, e.idx.receiveTime, e.idx.severity = find("Time"), find("ReceiveTime"), find("Severity")
	e.idx.conditionID = find(conditionIDField)
	return e, nil
}

// eventNodeKey names one event node of a source.
type eventNodeKey struct {
	entry     int
	eventType string
}

// eventNode returns the node of entry e's events of type typeName, made on
// first use and kept for the source's life, so the engine's per-node state
// carries over sessions. Called from Run's goroutine only.
func (s *Source) eventNode(e int, typeName string) *tag.Node {
	k := eventNodeKey{e, typeName}
	if n, ok := s.eventNodes[k]; ok {
		return n
	}
	if len(s.eventNodes) >= maxEventNodes {
		if !s.eventNodesFull {
			s.eventNodesFull = true
			s.log.Warn().Int("max", maxEventNodes).Str("event_type", typeName).
				Msg("too many event types: further types share their entry's BaseEventType node (their opcua_event_type is still their own)")
		}
		k.eventType = id.Name(id.BaseEventType)
		if n, ok := s.eventNodes[k]; ok {
			return n
		}
	}
	en := &s.events[e]
	n := &tag.Node{
		Src:        s.info,
		ID:         en.cfg.Notifier,
		BrowseName: k.eventType,
		Name:       en.name,
		Path:       en.name,
		Extra: map[string]string{
			"data_contract":   AlarmsContract,
			"tag_name":        en.name,
			MetaEventType:     k.eventType,
			MetaEventNotifier: en.cfg.Notifier,
		},
	}
	if s.eventNodes == nil {
		s.eventNodes = make(map[eventNodeKey]*tag.Node)
	}
	s.eventNodes[k] = n
	return n
}

// eventTypeName names an event type: its browse name for a type of the
// standard (namespace 0), else its node id.
func eventTypeName(v any) string {
	nid, _ := v.(tag.NodeID)
	s := string(nid)
	if rest, ok := strings.CutPrefix(s, "i="); ok {
		if n, err := strconv.ParseUint(rest, 10, 32); err == nil {
			if name := id.Name(uint32(n)); name != "" {
				return name
			}
		}
	}
	if s == "" {
		return id.Name(id.BaseEventType)
	}
	return s
}

// eventSample turns one event of entry e into a sample. A field the server
// returned an error for (a Bad StatusCode in place of its value) is null,
// named in MetaEventBadFields; a field the event does not have (a Null
// variant, as a condition field of a plain event) is left out of the
// payload. Refresh brackets are reported as their kind, with no sample.
func (s *Source) eventSample(e int, ev *ua.EventFieldList, refresh bool, now time.Time) (tag.Sample, eventKind) {
	en := &s.events[e]
	vals := make([]any, len(en.fields))
	present := make([]bool, len(en.fields))
	var bad []string
	for i, f := range en.fields {
		if i >= len(ev.EventFields) {
			bad = append(bad, f.name+"="+statusName(ua.StatusBadNoData))
			present[i] = !f.hidden
			continue
		}
		v := ev.EventFields[i]
		if v == nil || v.Type() == ua.TypeIDNull {
			continue
		}
		if st, ok := v.Value().(ua.StatusCode); ok && isBad(st) && f.name != "Quality" {
			bad = append(bad, f.name+"="+statusName(st))
			present[i] = !f.hidden
			continue
		}
		vals[i], _ = Value(v)
		present[i] = true
	}
	at := func(i int) any {
		if i < 0 {
			return nil
		}
		return vals[i]
	}
	typeName := eventTypeName(at(en.idx.eventType))
	if nid, _ := at(en.idx.eventType).(tag.NodeID); nid != "" {
		switch string(nid) {
		case FormatNodeID(ua.NewNumericNodeID(0, id.RefreshStartEventType)):
			return tag.Sample{}, eventRefreshStart
		case FormatNodeID(ua.NewNumericNodeID(0, id.RefreshEndEventType)):
			return tag.Sample{}, eventRefreshEnd
		}
	}
	obj := tag.Object{TypeName: typeName, Fields: make([]tag.Field, 0, len(en.fields))}
	for i, f := range en.fields {
		if present[i] && !f.hidden {
			obj.Fields = append(obj.Fields, tag.Field{Name: f.name, Value: vals[i]})
		}
	}
	meta := make([]tag.Header, 0, 6)
	if b, ok := at(en.idx.eventID).([]byte); ok {
		meta = append(meta, tag.Header{Key: MetaEventID, Value: base64.StdEncoding.EncodeToString(b)})
	}
	if src, ok := at(en.idx.sourceName).(string); ok {
		meta = append(meta, tag.Header{Key: MetaEventSource, Value: src})
	}
	if sev, ok := at(en.idx.severity).(uint16); ok {
		meta = append(meta, tag.Header{Key: MetaEventSeverity, Value: strconv.Itoa(int(sev))})
	}
	if cid, ok := at(en.idx.conditionID).(tag.NodeID); ok && cid != "" {
		meta = append(meta, tag.Header{Key: MetaConditionID, Value: string(cid)})
	}
	if refresh {
		meta = append(meta, tag.Header{Key: MetaEventRefresh, Value: "true"})
	}
	if len(bad) > 0 {
		meta = append(meta, tag.Header{Key: MetaEventBadFields, Value: strings.Join(bad, ",")})
	}
	n := s.eventNode(e, typeName)
	if n.BrowseName != typeName {
		meta = append(meta, tag.Header{Key: MetaEventType, Value: typeName})
	}
	smp := tag.Sample{Node: n, Value: obj, ReceivedAt: now, Meta: meta}
	smp.SourceTime, _ = at(en.idx.time).(time.Time)
	smp.ServerTime, _ = at(en.idx.receiveTime).(time.Time)
	return smp, eventPlain
}

// statusName is the name of a status code without its Status prefix
// (BadNoData), or its hex form.
func statusName(st ua.StatusCode) string {
	if d, ok := ua.StatusCodes[st]; ok && d.Name != "" {
		return strings.TrimPrefix(d.Name, "Status")
	}
	return "0x" + strconv.FormatUint(uint64(st), 16)
}
