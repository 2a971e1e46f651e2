package opcua

import (
	"bytes"
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// extensionObjectBytes is the wire form of a binary ExtensionObject with
// encoding id enc and body.
func extensionObjectBytes(t *testing.T, enc *ua.NodeID, body []byte) []byte {
	t.Helper()
	b := ua.NewBuffer(nil)
	b.WriteStruct(ua.NewExpandedNodeID(enc, "", 0))
	b.WriteByte(ua.ExtensionObjectBinary)
	b.WriteByteString(body)
	if b.Error() != nil {
		t.Fatal(b.Error())
	}
	return b.Bytes()
}

// TestRawBodyKeptByGopcua pins the gopcua behaviour structure decoding
// relies on: the body of an ExtensionObject whose encoding id is not
// registered is dropped, and that of one registered as rawBody is kept
// byte for byte, alone or inside a Variant (as in a DataChangeNotification).
// If a gopcua upgrade changes either, this fails rather than structures
// silently arriving without bodies.
func TestRawBodyKeptByGopcua(t *testing.T) {
	body := []byte{1, 2, 3, 4, 0xff, 0, 7}
	unknown := ua.NewNumericNodeID(7, 424242)
	var eo ua.ExtensionObject
	if _, err := eo.Decode(extensionObjectBytes(t, unknown, body)); err != nil {
		t.Fatal(err)
	}
	if eo.Value != nil {
		t.Fatalf("unregistered encoding: gopcua kept %T; structraw.go's premise changed", eo.Value)
	}

	enc := ua.NewNumericNodeID(7, 424243)
	if err := registerRawEncoding(enc); err != nil {
		t.Fatal(err)
	}
	// Registering again (the next session, another server) is fine.
	if err := registerRawEncoding(enc); err != nil {
		t.Fatalf("second registration: %v", err)
	}
	wire := extensionObjectBytes(t, enc, body)
	eo = ua.ExtensionObject{}
	n, err := eo.Decode(wire)
	if err != nil || n != len(wire) {
		t.Fatalf("decode: n=%d of %d, err %v", n, len(wire), err)
	}
	raw, ok := eo.Value.(*rawBody)
	if !ok || !bytes.Equal(raw.body, body) {
		t.Fatalf("registered encoding: value %#v, want the raw body %v", eo.Value, body)
	}

	// The same inside a Variant, and the body is a copy: changing the
	// message buffer afterwards does not change it.
	vb := append([]byte{byte(ua.TypeIDExtensionObject)}, wire...)
	var v ua.Variant
	if _, err := v.Decode(vb); err != nil {
		t.Fatal(err)
	}
	for i := range vb {
		vb[i] = 0
	}
	got, _ := Value(&v)
	want := "ns=7;i=424243"
	te, ok := got.(tag.ExtensionObject)
	if !ok || te.TypeID != want || !bytes.Equal(te.Body, body) {
		t.Fatalf("Value: %#v, want type %s with the body", got, want)
	}

	// A namespace-0 encoding gopcua decodes itself is not taken over.
	if err := registerRawEncoding(ua.NewNumericNodeID(0, 864)); err == nil { // ServerStatusDataType_Encoding_DefaultBinary
		t.Fatal("registering over a gopcua type succeeded")
	}
}

// TestStructureExtensionObjectWire checks that what StructureExtensionObject
// builds goes on the wire as the encoding id and body, and comes back as
// the same structure.
func TestStructureExtensionObjectWire(t *testing.T) {
	def := *testOptions
	def.EncodingID = "ns=7;i=424244"
	eo, err := StructureExtensionObject(&def, map[string]any{"a": 3, "c": "x"})
	if err != nil {
		t.Fatal(err)
	}
	wire, err := ua.MustVariant(eo).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := registerRawEncoding(ua.MustParseNodeID(def.EncodingID)); err != nil {
		t.Fatal(err)
	}
	var v ua.Variant
	if _, err := v.Decode(wire); err != nil {
		t.Fatal(err)
	}
	got, _ := Value(&v)
	s := &structures{byEncoding: map[string]*StructDef{def.EncodingID: &def}, warned: map[string]bool{}}
	checkObject(t, "written", s.decode(got), tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(3)}, {Name: "c", Value: "x"}}})
	if _, err := StructureExtensionObject(testOptions, map[string]any{"a": 1}); err == nil {
		t.Fatal("a definition without encoding id was accepted")
	}
}
