package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestSampleValueReachesTheCodec checks the two cases where the engine must
// hand the codec the sample's own value: an OPC UA Byte array (a []byte that
// is not a ByteString) and large integers inside an array a script read but
// did not change.
func TestSampleValueReachesTheCodec(t *testing.T) {
	tests := []struct {
		name     string
		dataType string
		value    any
		script   string
		want     string // the payload's value, exactly
	}{
		{"byte array is numbers", "Byte", []byte{1, 2, 255}, "", `[1,2,255]`},
		{"byte string is base64", "ByteString", []byte{1, 2, 255}, "", `"AQL/"`},
		{"byte array read by a script", "Byte", []byte{7}, `msg.meta.n = String(msg.payload.length);`, `[7]`},
		{"uint64 array read by a script stays exact", "UInt64", []uint64{18446744073709551615, 1}, `msg.meta.n = String(msg.payload.length);`, `[18446744073709551615,1]`},
		{"int64 array untouched stays exact", "Int64", []int64{9007199254740993}, "", `[9007199254740993]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, Config{Defaults: Snippet{Code: testDefaults + tt.script + " return msg;"}}, zerolog.Nop())
			n := testNode("v")
			n.DataType = tt.dataType
			r := process(e, testSample(n, tt.value))
			if len(r.fails) != 0 || len(r.msgs) != 1 {
				t.Fatalf("messages %d, failures %v", len(r.msgs), r.fails)
			}
			want := []byte(`{"value":` + tt.want + `,`)
			if !bytes.HasPrefix(r.msgs[0].Payload, want) {
				t.Fatalf("payload %s, want value %s", r.msgs[0].Payload, tt.want)
			}
		})
	}
}

func TestNewRejectsBadSubjectPrefix(t *testing.T) {
	for _, prefix := range []string{"umh..v1", "umh.v1.", "Werk Köln", "a.*"} {
		if _, err := New(Config{SubjectPrefix: prefix}, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "subject_prefix") {
			t.Errorf("prefix %q: err %v, want a subject_prefix error", prefix, err)
		}
	}
	e, err := New(Config{SubjectPrefix: "umh.v1"}, zerolog.Nop())
	if err != nil {
		t.Fatalf("umh.v1: %v", err)
	}
	e.Close()
}
