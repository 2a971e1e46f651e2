package opcua

import (
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/tag"
)

// TestStructCacheFor checks when a reconnect reuses the loaded definitions:
// only for the same namespaces, build and server start time.
func TestStructCacheFor(t *testing.T) {
	ns := []string{"http://opcfoundation.org/UA/", "urn:plc"}
	started := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	first := structCacheFor(nil, ns, "PLC 1.0", started)
	first.types["ns=1;i=1"] = &typeInfo{}
	if got := structCacheFor(first, []string{"http://opcfoundation.org/UA/", "urn:plc"}, "PLC 1.0", started); got != first {
		t.Fatal("same namespaces, build and start time: definitions loaded again")
	}
	for _, c := range []struct {
		ns      []string
		build   string
		started time.Time
	}{
		{[]string{"http://opcfoundation.org/UA/", "urn:other"}, "PLC 1.0", started},
		{[]string{"http://opcfoundation.org/UA/"}, "PLC 1.0", started},
		{ns, "PLC 1.1", started},
		{ns, "PLC 1.0", started.Add(time.Minute)}, // restarted, maybe with another model
		{ns, "PLC 1.0", time.Time{}},
	} {
		got := structCacheFor(first, c.ns, c.build, c.started)
		if got == first || len(got.types) != 0 {
			t.Fatalf("namespaces %v build %q started %v: the old definitions were kept", c.ns, c.build, c.started)
		}
	}
	first.stale = true // a value did not decode from it
	if got := structCacheFor(first, ns, "PLC 1.0", started); got == first || len(got.types) != 0 {
		t.Fatal("a stale cache was reused")
	}
}

// TestStructuresDecodeKeepsWhatFails checks the session's decode step: an
// array of structures becomes []tag.Object; a body that does not decode
// stays a tag.ExtensionObject with its body, is counted, and is logged
// once per type; values of unknown encodings and other values pass as
// they are.
func TestStructuresDecodeKeepsWhatFails(t *testing.T) {
	def := *testChoice
	def.EncodingID = "ns=2;i=106"
	n := 0
	var logs testlog.Buffer
	cache := &structCache{}
	s := &structures{byEncoding: map[string]*StructDef{def.EncodingID: &def}, warned: map[string]bool{}, undecoded: func() { n++ }, log: zerolog.New(&logs), cache: cache}
	good := tag.ExtensionObject{TypeID: def.EncodingID, Body: le(uint32(1), int32(5))}
	bad := tag.ExtensionObject{TypeID: def.EncodingID, Body: le(uint32(9))}
	unknown := tag.ExtensionObject{TypeID: "ns=2;i=999", Body: []byte{1}}

	if got, ok := s.decode([]any{good, good}).([]tag.Object); !ok || len(got) != 2 || got[1].Fields[0].Value != int32(5) {
		t.Fatalf("array: %#v", got)
	}
	for range 3 {
		if got, ok := s.decode(bad).(tag.ExtensionObject); !ok || string(got.Body) != string(bad.Body) {
			t.Fatalf("bad body: %#v, want it kept", got)
		}
	}
	mixed, ok := s.decode([]any{good, bad}).([]any)
	if !ok || len(mixed) != 2 {
		t.Fatalf("mixed array: %#v", mixed)
	}
	if _, ok := mixed[0].(tag.Object); !ok {
		t.Fatalf("mixed array: the good element was not decoded: %#v", mixed[0])
	}
	if _, ok := mixed[1].(tag.ExtensionObject); !ok {
		t.Fatalf("mixed array: the bad element was not kept: %#v", mixed[1])
	}
	if n != 4 {
		t.Fatalf("undecoded counted %d, want 4", n)
	}
	if !cache.stale {
		t.Fatal("the definitions a value did not decode from are not marked stale for the next session")
	}
	if c := strings.Count(logs.String(), "structure value not decoded"); c != 1 {
		t.Fatalf("%d warnings, want one per type", c)
	}
	if got := s.decode(unknown); got.(tag.ExtensionObject).TypeID != unknown.TypeID {
		t.Fatalf("unknown encoding: %#v", got)
	}
	if got := s.decode(3.5); got != 3.5 {
		t.Fatalf("plain value: %#v", got)
	}
}
