package jsonl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/opcua"
)

// FuzzParseInput checks that ParseInput never panics and that whatever it
// accepts the engine publishes as valid JSON or fails with a reason.
func FuzzParseInput(f *testing.F) {
	f.Add([]byte(`{"payload": 18446744073709551615, "type": "UInt64", "meta": {"opcua_tag_name": "t"}}`))
	f.Add([]byte(`{"payload": [1, 2.5, "x", null, {"a": [true]}], "meta": {"opcua_source_timestamp": "2024-01-02T03:04:05.123+02:00"}}`))
	f.Add([]byte(`{"payload": "AQID", "type": "ByteString"}`))
	f.Add([]byte(`{"payload": {"locale": "de", "text": "x"}, "type": "LocalizedText", "meta": {"opcua_status_code": "BadTimeout"}}`))
	f.Add([]byte(`{"payload": "NaN", "type": "Float"}`))
	f.Add([]byte(`{"payload": 1} x`))
	e, err := engine.New(engine.Config{
		Defaults: engine.Snippet{Code: `msg.meta.location_path = "enterprise.site"; msg.meta.data_contract = "_historian"; msg.meta.tag_name = "t"; return msg;`},
		Timeout:  time.Minute, Runtimes: 1, BadStatus: engine.BadStatusKeep, StatusName: opcua.StatusName,
	}, zerolog.Nop())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(e.Close)
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := ParseInput(line, opcua.StatusCodeByName)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "input ") {
				t.Fatalf("error %q does not say it is about the input", err)
			}
			return
		}
		if s.Node == nil {
			t.Fatal("accepted sample without a node")
		}
		s.ReceivedAt = time.Now()
		var fails []engine.Failure
		msgs := e.Process(&s, nil, func(f engine.Failure) { fails = append(fails, f) })
		for _, m := range msgs {
			if !json.Valid(m.Payload) {
				t.Fatalf("value %#v published as %s", s.Value, m.Payload)
			}
		}
		for _, f := range fails {
			if f.Reason == "" || f.Err == nil {
				t.Fatalf("value %#v: failure without reason or error: %+v", s.Value, f)
			}
		}
	})
}
