package opcua

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/tag"
)

// TestCommandNodeOPCUA writes every scalar type node-opcua's Commands
// object offers and two arrays, verified by read-back and by the
// subscription, checks the refusals, and calls its method Add: an
// independent server, whose method arguments come from its own
// InputArguments property.
func TestCommandNodeOPCUA(t *testing.T) {
	p := sharedPeer(t)
	tests := []struct {
		node  string
		value string
		want  any
	}{
		{"Boolean", `true`, true},
		{"SByte", `-128`, int8(-128)},
		{"Byte", `255`, uint8(255)},
		{"Int16", `-32768`, int16(-32768)},
		{"UInt16", `65535`, uint16(65535)},
		{"Int32", `2147483647`, int32(2147483647)},
		{"UInt32", `4294967295`, uint32(4294967295)},
		{"Int64", `-9007199254740993`, int64(-9007199254740993)},
		{"UInt64", `18446744073709551615`, uint64(18446744073709551615)},
		{"Float", `-0.5`, float32(-0.5)},
		{"Double", `3.25`, 3.25},
		{"String", `"ä"`, "ä"},
		{"DateTime", `"2026-12-03T10:20:30.123Z"`, time.Date(2026, 12, 3, 10, 20, 30, 123000000, time.UTC)},
		{"Guid", `"72962B91-FA75-4AE6-8D28-B404DC7DAF63"`, tag.GUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63")},
		{"ByteString", `"AQID"`, []byte{1, 2, 3}},
		{"LocalizedText", `{"text":"Presse","locale":"de"}`, nil},
		{"NodeId", `"i=2253"`, tag.NodeID("i=2253")},
		{"DoubleArray", `[1.5, 2]`, []float64{1.5, 2}},
		{"Int32Array", `[-1, 7]`, []int32{-1, 7}},
	}
	cfg := peerConfig(t, p.Endpoint)
	for _, tt := range tests {
		cfg.Nodes = append(cfg.Nodes, NodeConfig{ID: nsuID("Commands." + tt.node)})
	}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	stop := runSource(t, src, col.emit)
	defer func() { _ = stop() }()
	testutil.WaitUntil(t, 30*time.Second, "connected", func() bool {
		return src.Status().State == StateConnected && col.len() >= len(tests)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			from := col.len()
			res, err := src.Write(ctx, []WriteItem{{Node: nsuID("Commands." + tt.node), Value: json.RawMessage(tt.value)}}, WriteOptions{Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Err != nil {
				t.Fatalf("write %s: %v", tt.value, res[0].Err)
			}
			if tt.want != nil && !sameGoValue(res[0].ReadBack.Value, tt.want) {
				t.Fatalf("read back %T %v, want %T %v", res[0].ReadBack.Value, res[0].ReadBack.Value, tt.want, tt.want)
			}
			testutil.WaitUntil(t, 10*time.Second, "the subscription delivering the value", func() bool {
				s, ok := col.last("Commands." + tt.node)
				return col.count(from, "Commands."+tt.node) > 0 && ok && sameGoValue(s.Value, res[0].ReadBack.Value)
			})
		})
	}
	refused := []struct {
		node, value string
		code        ErrorCode
	}{
		{"Byte", `300`, CodeOutOfRange},
		{"Int32", `1.5`, CodeTypeMismatch},
		{"Double", `"x"`, CodeTypeMismatch},
		{"ReadOnly", `2`, CodeBadStatus},
		{"Nope", `2`, CodeUnknownNode},
	}
	for _, r := range refused {
		res, err := src.Write(ctx, []WriteItem{{Node: nsuID("Commands." + r.node), Value: json.RawMessage(r.value)}}, WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err == nil || res[0].Err.Code != r.code {
			t.Errorf("write %s to %s: %v, want %s", r.value, r.node, res[0].Err, r.code)
		}
	}
	out, err := src.Call(ctx, nsuID("Commands"), nsuID("Commands.Add"), []json.RawMessage{json.RawMessage(`2`), json.RawMessage(`3.5`)})
	if err != nil {
		t.Fatalf("call Add: %v", err)
	}
	if len(out) != 1 || !reflect.DeepEqual(out[0].Value, 5.5) {
		t.Fatalf("Add(2, 3.5) = %+v", out)
	}
	_, err = src.Call(ctx, nsuID("Commands"), nsuID("Commands.Add"), []json.RawMessage{json.RawMessage(`true`), json.RawMessage(`1`)})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Code != CodeTypeMismatch {
		t.Fatalf("Add(true, 1): %v", err)
	}
}
