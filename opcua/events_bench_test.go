package opcua

import (
	"testing"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// BenchmarkEventSample measures turning one alarm event with the default
// fields (23 selected, 16 present) into a sample.
func BenchmarkEventSample(b *testing.B) {
	src, err := NewSource(Config{Name: "plc", Endpoint: "opc.tcp://h:4840", StateDir: b.TempDir(),
		Events: []EventConfig{{}}}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now().UTC()
	text := func(s string) *ua.Variant {
		return ua.MustVariant(&ua.LocalizedText{Text: s, EncodingMask: ua.LocalizedTextText})
	}
	values := map[string]*ua.Variant{
		"EventId": ua.MustVariant([]byte("0123456789abcdef")), "EventType": ua.MustVariant(ua.NewNumericNodeID(0, id.ExclusiveLimitAlarmType)),
		"SourceNode": ua.MustVariant(ua.NewStringNodeID(2, "Boiler")), "SourceName": ua.MustVariant("Boiler"),
		"Time": ua.MustVariant(at), "ReceiveTime": ua.MustVariant(at), "Message": text("Level high"),
		"Severity": ua.MustVariant(uint16(700)), "ConditionId": ua.MustVariant(ua.NewStringNodeID(2, "Boiler.LevelAlarm")),
		"ConditionName": ua.MustVariant("LevelAlarm"), "Retain": ua.MustVariant(true),
		"ActiveState": text("Active"), "ActiveState.Id": ua.MustVariant(true),
		"AckedState": text("Unacknowledged"), "AckedState.Id": ua.MustVariant(false),
		"Quality": ua.MustVariant(ua.StatusOK),
	}
	ev := &ua.EventFieldList{ClientHandle: eventHandleBase}
	for _, f := range src.events[0].fields {
		v, ok := values[f.name]
		if !ok {
			v = &ua.Variant{}
		}
		ev.EventFields = append(ev.EventFields, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		smp, _ := src.eventSample(0, ev, false, at)
		if smp.Node == nil {
			b.Fatal("no sample")
		}
	}
}
