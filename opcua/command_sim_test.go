package opcua

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

func simCmd(name string) string { return "nsu=" + sim.NamespaceURI + ";s=Plant.Commands." + name }

// startCommandSource runs a source subscribed to the given Plant/Commands
// variables of a fresh simulator and waits until commands can use it.
func startCommandSource(t *testing.T, names []string) (*Source, *collector) {
	t.Helper()
	s := simtest.Start(t, sim.Config{Rate: time.Hour})
	cfg := simConfig(t, s.Endpoint())
	for _, n := range names {
		cfg.Nodes = append(cfg.Nodes, NodeConfig{ID: simCmd(n)})
	}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	stop := runSource(t, src, col.emit)
	t.Cleanup(func() { _ = stop() })
	testutil.WaitUntil(t, 30*time.Second, "source connected", func() bool {
		return src.Status().State == StateConnected && src.live.Load() != nil && col.len() >= len(names)
	})
	return src, col
}

// TestCommandWriteEveryTypeSim writes every scalar type and the arrays of
// the simulator's Plant/Commands with verify, and checks the value written
// against the read-back and against what the subscription delivers.
func TestCommandWriteEveryTypeSim(t *testing.T) {
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
		{"Int32", `-2147483648`, int32(-2147483648)},
		{"UInt32", `4294967295`, uint32(4294967295)},
		{"Int64", `-9223372036854775808`, int64(-9223372036854775808)},
		{"UInt64", `18446744073709551615`, uint64(18446744073709551615)},
		{"Float", `1.5`, float32(1.5)},
		{"Double", `-2.25e10`, -2.25e10},
		{"String", `"Soll-Wert äöü"`, "Soll-Wert äöü"},
		{"DateTime", `"2026-12-03T10:20:30.1234567Z"`, time.Date(2026, 12, 3, 10, 20, 30, 123456700, time.UTC)},
		{"Guid", `"72962B91-FA75-4AE6-8D28-B404DC7DAF63"`, tag.GUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63")},
		{"ByteString", `"3q2+7w=="`, []byte{0xde, 0xad, 0xbe, 0xef}},
		{"XmlElement", `"<a>1</a>"`, tag.XMLElement("<a>1</a>")},
		{"NodeId", `"ns=1;s=Plant.Line1"`, tag.NodeID("ns=1;s=Plant.Line1")},
		{"ExpandedNodeId", `"ns=1;i=42"`, tag.NodeID("ns=1;i=42")},
		{"StatusCode", `2147483648`, nil},
		{"QualifiedName", `"1:Recipe"`, nil},
		{"LocalizedText", `{"text": "Presse", "locale": "de-DE"}`, nil},
		{"DoubleArray", `[1.5, -2, 3e3]`, []float64{1.5, -2, 3000}},
		{"Int32Array", `[1, -2, 2147483647]`, []int32{1, -2, 2147483647}},
		{"StringArray", `["a", "ß"]`, []string{"a", "ß"}},
		{"ByteArray", `[0, 255]`, []uint8{0, 255}},
	}
	names := make([]string, len(tests))
	for i, tt := range tests {
		names[i] = tt.node
	}
	src, col := startCommandSource(t, names)
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			from := col.len()
			res, err := src.Write(ctx, []WriteItem{{Node: simCmd(tt.node), Value: json.RawMessage(tt.value)}}, WriteOptions{Verify: true})
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			r := res[0]
			if r.Err != nil {
				t.Fatalf("write %s: %v", tt.value, r.Err)
			}
			if r.Old == nil || r.ReadBack == nil {
				t.Fatalf("verify gave no old value or read-back: %+v", r)
			}
			if tt.want != nil && !reflect.DeepEqual(r.ReadBack.Value, tt.want) {
				t.Fatalf("read back %T %v, want %T %v", r.ReadBack.Value, r.ReadBack.Value, tt.want, tt.want)
			}
			testutil.WaitUntil(t, 10*time.Second, "the written value from the subscription", func() bool {
				return col.count(from, "Plant.Commands."+tt.node) > 0
			})
			smp, _ := col.last("Plant.Commands." + tt.node)
			if !sameGoValue(smp.Value, r.ReadBack.Value) {
				t.Fatalf("subscription delivered %T %v, read back %T %v", smp.Value, smp.Value, r.ReadBack.Value, r.ReadBack.Value)
			}
		})
	}
}

func sameGoValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

// TestCommandWriteRefusedSim checks the error code of every way a write
// fails, and that a failed item does not stop the others of its batch.
func TestCommandWriteRefusedSim(t *testing.T) {
	src, _ := startCommandSource(t, []string{"Double"})
	tests := []struct {
		name   string
		node   string
		value  string
		code   ErrorCode
		status string
	}{
		{"byte out of range", simCmd("Byte"), `300`, CodeOutOfRange, ""},
		{"byte negative", simCmd("Byte"), `-1`, CodeOutOfRange, ""},
		{"int64 beyond", simCmd("Int64"), `9223372036854775808`, CodeOutOfRange, ""},
		{"float beyond", simCmd("Float"), `1e39`, CodeOutOfRange, ""},
		{"fraction to int32", simCmd("Int32"), `1.5`, CodeTypeMismatch, ""},
		{"string to double", simCmd("Double"), `"1.5"`, CodeTypeMismatch, ""},
		{"number to boolean", simCmd("Boolean"), `1`, CodeTypeMismatch, ""},
		{"array to scalar", simCmd("Double"), `[1]`, CodeTypeMismatch, ""},
		{"scalar to array", simCmd("DoubleArray"), `1`, CodeTypeMismatch, ""},
		{"bad element", simCmd("Int32Array"), `[1, 2.5]`, CodeTypeMismatch, ""},
		{"bad date", simCmd("DateTime"), `"yesterday"`, CodeTypeMismatch, ""},
		{"bad base64", simCmd("ByteString"), `"***"`, CodeTypeMismatch, ""},
		{"bad guid", simCmd("Guid"), `"1234"`, CodeTypeMismatch, ""},
		{"not writable", simCmd("ReadOnly"), `2`, CodeBadStatus, "BadNotWritable"},
		{"not writable plant value", "nsu=" + sim.NamespaceURI + ";s=Plant.Line1.Press.Temperature", `2`, CodeBadStatus, "BadNotWritable"},
		{"unknown node", simCmd("Nope"), `2`, CodeUnknownNode, "BadNodeIDUnknown"},
		{"unknown namespace", "nsu=urn:nope;s=X", `2`, CodeUnknownNode, ""},
		{"malformed node id", "ns=1;q=X", `2`, CodeInvalidRequest, ""},
		{"not a variable", CommandsObjectForTest, `2`, CodeInvalidRequest, "BadAttributeIDInvalid"},
	}
	items := []WriteItem{{Node: simCmd("Double"), Value: json.RawMessage(`42.5`)}}
	for _, tt := range tests {
		items = append(items, WriteItem{Node: tt.node, Value: json.RawMessage(tt.value)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := src.Write(ctx, items, WriteOptions{})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res[0].Err != nil {
		t.Fatalf("the good item of the batch failed: %v", res[0].Err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := res[i+1].Err
			if e == nil {
				t.Fatalf("write %s to %s succeeded", tt.value, tt.node)
			}
			if e.Code != tt.code || tt.status != "" && e.Status != tt.status {
				t.Fatalf("got %v, want code %s status %q", e, tt.code, tt.status)
			}
		})
	}
	got, err := src.Read(ctx, []string{simCmd("Double"), simCmd("Nope")})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Err != nil || got[0].Value != 42.5 || got[0].DataType != "Double" || got[0].Status != "Good" {
		t.Fatalf("read %+v", got[0])
	}
	if got[1].Err == nil || got[1].Err.Code != CodeUnknownNode {
		t.Fatalf("read of unknown node: %+v", got[1])
	}
}

// CommandsObjectForTest is the simulator's Plant/Commands object by
// namespace URI.
const CommandsObjectForTest = "nsu=" + sim.NamespaceURI + ";s=Plant.Commands"

func TestCommandCallSim(t *testing.T) {
	src, _ := startCommandSource(t, []string{"Double"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	method := simCmd("Add")
	out, err := src.Call(ctx, CommandsObjectForTest, method, []json.RawMessage{json.RawMessage(`2`), json.RawMessage(`3.5`)})
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if len(out) != 1 || out[0].Value != 5.5 || out[0].DataType != "Double" {
		t.Fatalf("outputs %+v, want [5.5 Double]", out)
	}
	tests := []struct {
		name   string
		object string
		method string
		args   []string
		code   ErrorCode
	}{
		{"too few arguments", CommandsObjectForTest, method, []string{`1`}, CodeInvalidRequest},
		{"wrong type", CommandsObjectForTest, method, []string{`"x"`, `1`}, CodeTypeMismatch},
		{"unknown method", CommandsObjectForTest, simCmd("Nope"), nil, CodeUnknownNode},
		{"not a method of the object", "nsu=" + sim.NamespaceURI + ";s=Plant", method, []string{`1`, `2`}, CodeBadStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]json.RawMessage, len(tt.args))
			for i, a := range tt.args {
				args[i] = json.RawMessage(a)
			}
			_, err := src.Call(ctx, tt.object, tt.method, args)
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Code != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
		})
	}
	vars, err := src.BrowseNode(ctx, CommandsObjectForTest, BrowseOptions{MaxDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range vars {
		if v.BrowseName == "Int32Array" && v.DataType == "Int32" {
			found = true
		}
	}
	if !found {
		t.Fatalf("browse of Plant/Commands lacks Int32Array: %d variables", len(vars))
	}
}

// TestCommandSourceDown checks that a source without a session answers
// source_down at once, never waiting for a connection.
func TestCommandSourceDown(t *testing.T) {
	cfg := simConfig(t, "opc.tcp://127.0.0.1:1")
	cfg.Nodes = []NodeConfig{{ID: "ns=1;s=X"}}
	src, err := NewSource(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := runSource(t, src, (&collector{}).emit)
	defer func() { _ = stop() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = src.Write(ctx, []WriteItem{{Node: "ns=1;s=X", Value: json.RawMessage(`1`)}}, WriteOptions{})
	if !errors.Is(err, ErrSourceDown) {
		t.Fatalf("write to a source that cannot connect: %v, want source_down", err)
	}
	if _, err := src.Read(ctx, []string{"ns=1;s=X"}); !errors.Is(err, ErrSourceDown) {
		t.Fatalf("read: %v", err)
	}
	if _, err := src.Call(ctx, "ns=1;s=X", "ns=1;s=Y", nil); !errors.Is(err, ErrSourceDown) {
		t.Fatalf("call: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("source_down took the whole deadline")
	}
	if !strings.Contains(ErrSourceDown.Error(), "source_down") {
		t.Fatal(ErrSourceDown.Error())
	}
}
