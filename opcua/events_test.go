package opcua

import (
	"slices"
	"testing"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/tag"
)

// testEvent is what evalWhere sees of an event.
type testEvent struct {
	types    []uint32 // the event's type and its supertypes
	severity uint16
	source   string
}

// evalWhere evaluates element i of a where-clause built by eventFilter
// (OfType, GreaterThanOrEqual, InList, And, Or) for ev, as a server would.
func evalWhere(t *testing.T, f *ua.ContentFilter, i uint32, ev testEvent) bool {
	t.Helper()
	el := f.Elements[i]
	operand := func(k int) any {
		switch o := el.FilterOperands[k].Value.(type) {
		case *ua.ElementOperand:
			if o.Index <= i || int(o.Index) >= len(f.Elements) {
				t.Fatalf("element %d refers to element %d: not a later one", i, o.Index)
			}
			return evalWhere(t, f, o.Index, ev)
		case *ua.LiteralOperand:
			return o.Value.Value()
		case *ua.SimpleAttributeOperand:
			switch o.BrowsePath[0].Name {
			case "Severity":
				return ev.severity
			case "SourceName":
				return ev.source
			}
		}
		t.Fatalf("element %d: operand %d %T", i, k, el.FilterOperands[k].Value)
		return nil
	}
	switch el.FilterOperator {
	case ua.FilterOperatorOfType:
		return slices.Contains(ev.types, operand(0).(*ua.NodeID).IntID())
	case ua.FilterOperatorGreaterThanOrEqual:
		return operand(0).(uint16) >= operand(1).(uint16)
	case ua.FilterOperatorInList:
		v := operand(0)
		for k := 1; k < len(el.FilterOperands); k++ {
			if operand(k) == v {
				return true
			}
		}
		return false
	case ua.FilterOperatorAnd:
		return operand(0).(bool) && operand(1).(bool)
	case ua.FilterOperatorOr:
		return operand(0).(bool) || operand(1).(bool)
	}
	t.Fatalf("element %d: operator %v", i, el.FilterOperator)
	return false
}

// TestEventFilterWhere checks the where-clause of an entry by evaluating
// it: event types with their subtypes, minimum severity and source names
// all hold, and the refresh brackets always pass.
func TestEventFilterWhere(t *testing.T) {
	t.Parallel()
	cfg := EventConfig{Types: []string{"i=2915", "i=2130"}, MinSeverity: 500, SourceNames: []string{"Boiler", "Pump"}}
	fields, err := cfg.eventFields()
	if err != nil {
		t.Fatal(err)
	}
	f, err := eventFilter(&cfg, fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.SelectClauses) != len(fields) {
		t.Fatalf("%d select clauses for %d fields", len(f.SelectClauses), len(fields))
	}
	alarm := []uint32{id.ExclusiveLimitAlarmType, id.LimitAlarmType, id.AlarmConditionType, id.AcknowledgeableConditionType, id.ConditionType, id.BaseEventType}
	for _, tc := range []struct {
		name string
		ev   testEvent
		want bool
	}{
		{"alarm subtype", testEvent{alarm, 800, "Boiler"}, true},
		{"system event", testEvent{[]uint32{id.SystemEventType, id.BaseEventType}, 500, "Pump"}, true},
		{"too low", testEvent{alarm, 499, "Boiler"}, false},
		{"other source", testEvent{alarm, 900, "Mixer"}, false},
		{"other type", testEvent{[]uint32{id.AuditEventType, id.BaseEventType}, 900, "Boiler"}, false},
		{"refresh start", testEvent{[]uint32{id.RefreshStartEventType, id.SystemEventType, id.BaseEventType}, 0, ""}, true},
		{"refresh end", testEvent{[]uint32{id.RefreshEndEventType, id.SystemEventType, id.BaseEventType}, 0, ""}, true},
	} {
		if got := evalWhere(t, f.WhereClause, 0, tc.ev); got != tc.want {
			t.Errorf("%s: where-clause %v, want %v", tc.name, got, tc.want)
		}
	}
	none, err := eventFilter(&EventConfig{}, fields, nil)
	if err != nil || len(none.WhereClause.Elements) != 0 {
		t.Errorf("an entry without filters: where-clause %v, %v; want none", none.WhereClause, err)
	}
}

// TestEventSample checks how one event becomes a sample: the configured
// fields in order, a field the server returned an error for null with its
// status in meta (the event is kept), a field the event does not have
// left out, required fields used for meta and the timestamp but not
// published when not selected, and refresh brackets told apart.
func TestEventSample(t *testing.T) {
	t.Parallel()
	src, err := NewSource(Config{Name: "plc", Endpoint: "opc.tcp://h:4840", StateDir: t.TempDir(),
		Events: []EventConfig{{Fields: []string{"Message", "Quality", "ActiveState/Id", "2:Custom", "ConditionId"}}}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	en := src.events[0]
	var names []string
	for _, f := range en.fields {
		names = append(names, f.name)
	}
	// The required fields the entry did not select follow its own.
	if want := []string{"Message", "Quality", "ActiveState.Id", "Custom", "ConditionId", "EventId", "EventType", "SourceName", "Time", "ReceiveTime", "Severity"}; !slices.Equal(names, want) {
		t.Fatalf("fields %v, want %v", names, want)
	}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	event := func(typ uint32, custom *ua.Variant) *ua.EventFieldList {
		return &ua.EventFieldList{ClientHandle: eventHandleBase, EventFields: []*ua.Variant{
			ua.MustVariant(&ua.LocalizedText{Text: "too hot", EncodingMask: ua.LocalizedTextText}),
			ua.MustVariant(ua.StatusBadSensorFailure), // Quality: a value, not an error
			ua.MustVariant(true),
			custom,
			ua.MustVariant(ua.NewStringNodeID(2, "Boiler.LevelAlarm")),
			ua.MustVariant([]byte{1, 2, 3}),
			ua.MustVariant(ua.NewNumericNodeID(0, typ)),
			ua.MustVariant("Boiler"),
			ua.MustVariant(at),
			ua.MustVariant(at.Add(time.Second)),
			ua.MustVariant(uint16(700)),
		}}
	}

	smp, kind := src.eventSample(0, event(id.OffNormalAlarmType, ua.MustVariant(ua.StatusBadAttributeIDInvalid)), true, at)
	if kind != eventPlain {
		t.Fatalf("kind %v", kind)
	}
	o := smp.Value.(tag.Object)
	want := tag.Object{TypeName: "OffNormalAlarmType", Fields: []tag.Field{
		{Name: "Message", Value: tag.LocalizedText{Text: "too hot"}},
		{Name: "Quality", Value: tag.StatusCode(ua.StatusBadSensorFailure)},
		{Name: "ActiveState.Id", Value: true},
		{Name: "Custom", Value: nil},
		{Name: "ConditionId", Value: tag.NodeID("ns=2;s=Boiler.LevelAlarm")},
	}}
	if o.TypeName != want.TypeName || !slices.Equal(o.Fields, want.Fields) {
		t.Errorf("payload %+v, want %+v", o, want)
	}
	wantMeta := []tag.Header{
		{Key: MetaEventID, Value: "AQID"}, {Key: MetaEventSource, Value: "Boiler"}, {Key: MetaEventSeverity, Value: "700"},
		{Key: MetaConditionID, Value: "ns=2;s=Boiler.LevelAlarm"}, {Key: MetaEventRefresh, Value: "true"},
		{Key: MetaEventBadFields, Value: "Custom=BadAttributeIDInvalid"},
	}
	if !slices.Equal(smp.Meta, wantMeta) {
		t.Errorf("meta %v, want %v", smp.Meta, wantMeta)
	}
	if !smp.SourceTime.Equal(at) || !smp.ServerTime.Equal(at.Add(time.Second)) {
		t.Errorf("times %v %v: want Time and ReceiveTime", smp.SourceTime, smp.ServerTime)
	}
	if n := smp.Node; n.Name != "plc" || n.ID != DefaultEventNotifier || n.Extra["data_contract"] != AlarmsContract ||
		n.Extra["tag_name"] != "plc" || n.Extra[MetaEventType] != "OffNormalAlarmType" {
		t.Errorf("node %+v", n)
	}

	// A field the event does not have (a Null variant) is left out, and
	// the node is the same for the same type.
	smp2, _ := src.eventSample(0, event(id.OffNormalAlarmType, &ua.Variant{}), false, at)
	if _, ok := smp2.Value.(tag.Object).Get("Custom"); ok || smp2.Node != smp.Node {
		t.Errorf("null field: payload %+v; same node %v", smp2.Value, smp2.Node == smp.Node)
	}
	for _, m := range smp2.Meta {
		if m.Key == MetaEventRefresh || m.Key == MetaEventBadFields {
			t.Errorf("meta %v without refresh or bad fields", smp2.Meta)
		}
	}
	if _, kind := src.eventSample(0, event(id.RefreshStartEventType, nil), false, at); kind != eventRefreshStart {
		t.Errorf("refresh start: kind %v", kind)
	}
	if _, kind := src.eventSample(0, event(id.RefreshEndEventType, nil), false, at); kind != eventRefreshEnd {
		t.Errorf("refresh end: kind %v", kind)
	}
	// A short field list: the missing fields are errors, the event stays.
	short := event(id.BaseEventType, nil)
	short.EventFields = short.EventFields[:2]
	smp3, kind := src.eventSample(0, short, false, at)
	if kind != eventPlain || len(smp3.Value.(tag.Object).Fields) != 5 {
		t.Errorf("short event: %v %+v", kind, smp3.Value)
	}
}

// TestCheckEventField checks the field syntax.
func TestCheckEventField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, key string }{
		{"Severity", "Severity"}, {"ActiveState/Id", "ActiveState.Id"}, {"2:Custom/3:Value", "Custom.Value"}, {"ConditionId", "ConditionId"},
	} {
		if key, err := CheckEventField(tc.in); err != nil || key != tc.key {
			t.Errorf("%q: %q, %v; want %q", tc.in, key, err, tc.key)
		}
	}
	for _, bad := range []string{"", "a//b", "/a", "x:Y", "99999:Y", "2:"} {
		if _, err := CheckEventField(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
