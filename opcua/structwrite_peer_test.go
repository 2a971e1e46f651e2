package opcua

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/tag"
)

// setpointJSON is a Machine written to node-opcua's Plant.Structs.Setpoint,
// and setpointWritten the same as edgetag decodes it: an enumeration by
// name, a 64-bit counter, a nested structure, an array of structures, an
// optional field set and one absent, a union case.
const setpointJSON = `{"name":"press 9","mode":"Auto","counter":7,"axis":{"x":-2,"y":0.5},
	"tools":[{"id":"T9","wear":0.75}],"temps":[],"options":{"a":1,"b":2.5},"choice":{"num":5},
	"running":false,"started":"2026-12-03T10:00:00.5Z"}`

func setpointWritten() tag.Object {
	return tag.Object{TypeName: "Machine", Fields: []tag.Field{
		{Name: "name", Value: "press 9"},
		{Name: "mode", Value: int32(1)},
		{Name: "counter", Value: uint64(7)},
		{Name: "axis", Value: tag.Object{TypeName: "Axis", Fields: []tag.Field{{Name: "x", Value: -2.0}, {Name: "y", Value: float32(0.5)}}}},
		{Name: "tools", Value: []tag.Object{{TypeName: "Tool", Fields: []tag.Field{{Name: "id", Value: "T9"}, {Name: "wear", Value: 0.75}}}}},
		{Name: "temps", Value: []float64{}},
		{Name: "options", Value: tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(1)}, {Name: "b", Value: 2.5}}}},
		{Name: "choice", Value: tag.Object{TypeName: "Choice", Fields: []tag.Field{{Name: "num", Value: int32(5)}}}},
		{Name: "running", Value: false},
		{Name: "started", Value: time.Date(2026, 12, 3, 10, 0, 0, 5e8, time.UTC)},
	}}
}

// TestStructWriteNodeOPCUA writes structured values to node-opcua, which
// decodes them with its own definitions: a Machine to a subscribed node
// (definition shared by the session) and an array of Options to a node no
// item uses (definition loaded on demand). Each is verified by reading it
// back, the subscription publishes the new decoded object, and refused
// values (a missing required field, an unknown field, a union with two
// fields, a scalar for an array) are one clear error each with nothing
// written.
func TestStructWriteNodeOPCUA(t *testing.T) {
	p := startPeer(t, "STRUCTS=1", "COUNT=0")
	cfg := peerConfig(t, p.Endpoint)
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Structs.Setpoint")}}
	src, col, stop := collectSource(t, cfg)
	defer stop()
	testutil.WaitUntil(t, 60*time.Second, "the first Setpoint value", func() bool {
		return col.count(0, "Structs.Setpoint") > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The command read decodes structures.
	rv, err := src.Read(ctx, []string{nsuID("Plant.Structs.Setpoint")})
	if err != nil || rv[0].Err != nil {
		t.Fatalf("read: %v %v", err, rv[0].Err)
	}
	if rv[0].DataType != "Machine" {
		t.Errorf("read data type %q, want Machine", rv[0].DataType)
	}
	before := structMachine("setpoint", 0)
	checkObject(t, "read before", rv[0].Value, before)

	from := col.len()
	res, err := src.Write(ctx, []WriteItem{{Node: nsuID("Plant.Structs.Setpoint"), Value: json.RawMessage(setpointJSON)}}, WriteOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("write: %v", res[0].Err)
	}
	if res[0].DataType != "Machine" {
		t.Errorf("write data type %q, want Machine", res[0].DataType)
	}
	checkObject(t, "written", res[0].Written, setpointWritten())
	checkObject(t, "old", res[0].Old.Value, before)
	checkObject(t, "read back", res[0].ReadBack.Value, setpointWritten())
	testutil.WaitUntil(t, 20*time.Second, "the subscription publishing the written object", func() bool {
		s, ok := col.last("Structs.Setpoint")
		return ok && col.count(from, "Structs.Setpoint") > 0 && diffValues(s.Value, setpointWritten(), "$") == ""
	})

	refused := []struct {
		name, value, want string
	}{
		{"missing required field", strings.Replace(setpointJSON, `"counter":7,`, "", 1), "$.counter: missing required field"},
		{"missing nested field", strings.Replace(setpointJSON, `"x":-2,`, "", 1), "$.axis.x: missing required field"},
		{"unknown field", strings.Replace(setpointJSON, `"running":false`, `"running":false,"speed":3`, 1), `$.speed: Machine has no field "speed"`},
		{"union with two fields", strings.Replace(setpointJSON, `{"num":5}`, `{"num":5,"text":"x"}`, 1), "$.choice: union Choice: more than one field set (num, text)"},
		{"wrong type", strings.Replace(setpointJSON, `"counter":7`, `"counter":"7"`, 1), "$.counter: value does not fit the field's type: string for UInt64"},
		{"out of range", strings.Replace(setpointJSON, `"counter":7`, `"counter":-1`, 1), "$.counter: value does not fit the field's type: number for UInt64"},
		{"an array for one", "[" + setpointJSON + "]", "the node holds one Machine structure, not an array"},
		{"not an object", `42`, "42 is not a JSON object"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			res, err := src.Write(ctx, []WriteItem{{Node: nsuID("Plant.Structs.Setpoint"), Value: json.RawMessage(tt.value)}}, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			e := res[0].Err
			if e == nil || e.Code != CodeTypeMismatch || !strings.Contains(e.Msg, tt.want) || !strings.Contains(e.Msg, "Plant.Structs.Setpoint") {
				t.Fatalf("error %v, want type_mismatch naming the node and %q", e, tt.want)
			}
			if res[0].Written != nil {
				t.Errorf("written %v for a refused value", res[0].Written)
			}
		})
	}
	rv, err = src.Read(ctx, []string{nsuID("Plant.Structs.Setpoint")})
	if err != nil || rv[0].Err != nil {
		t.Fatalf("read: %v %v", err, rv[0].Err)
	}
	checkObject(t, "after the refused writes", rv[0].Value, setpointWritten())

	// A second source uses only the enumeration node, so it has loaded
	// no structure definition: reading and writing structured nodes
	// loads them on demand.
	cfg2 := peerConfig(t, p.Endpoint)
	cfg2.Name = "peer2"
	cfg2.Nodes = []NodeConfig{{ID: nsuID("Plant.Structs.Mode")}}
	src2, err := NewSource(cfg2, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var col2 collector
	stop2 := runSource(t, src2, col2.emit)
	defer stop2()
	testutil.WaitUntil(t, 60*time.Second, "the second source's first value", func() bool {
		return col2.count(0, "Structs.Mode") > 0
	})
	// An array of structures on a node no item uses.
	res, err = src2.Write(ctx, []WriteItem{{Node: nsuID("Plant.Structs.Setpoints"), Value: json.RawMessage(`[{"a":1},{"a":2,"c":"two"},{"a":3,"b":0.5,"c":""}]`)}}, WriteOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("write array: %v", res[0].Err)
	}
	back, ok := res[0].ReadBack.Value.([]tag.Object)
	if !ok || len(back) != 3 {
		t.Fatalf("read back %T %#v, want three Options", res[0].ReadBack.Value, res[0].ReadBack.Value)
	}
	checkObject(t, "Setpoints[1]", back[1], tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(2)}, {Name: "c", Value: "two"}}})
	checkObject(t, "Setpoints[2]", back[2], tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(3)}, {Name: "b", Value: 0.5}, {Name: "c", Value: ""}}})
	res, err = src2.Write(ctx, []WriteItem{{Node: nsuID("Plant.Structs.Setpoints"), Value: json.RawMessage(`[{"a":1},{"b":2}]`)}}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e := res[0].Err; e == nil || e.Code != CodeTypeMismatch || !strings.Contains(e.Msg, "$[1].a: missing required field") {
		t.Fatalf("error %v, want $[1].a: missing required field", e)
	}
	// A method argument of a structured type is encoded the same way;
	// its structured output comes back decoded.
	outs, err := src2.Call(ctx, nsuID("Plant.Structs"), nsuID("Plant.Structs.Echo"), []json.RawMessage{json.RawMessage(`{"a":4,"b":1.5}`)})
	if err != nil {
		t.Fatalf("call Echo: %v", err)
	}
	if len(outs) != 1 || outs[0].DataType != "Options" {
		t.Fatalf("Echo returned %+v, want one Options", outs)
	}
	checkObject(t, "Echo output", outs[0].Value, tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(5)}, {Name: "b", Value: 1.5}, {Name: "c", Value: "echo"}}})
	_, err = src2.Call(ctx, nsuID("Plant.Structs"), nsuID("Plant.Structs.Echo"), []json.RawMessage{json.RawMessage(`{"b":1.5}`)})
	var cerr *CommandError
	if !errors.As(err, &cerr) || cerr.Code != CodeTypeMismatch || !strings.Contains(cerr.Msg, "argument 0 (options): $.a: missing required field") {
		t.Fatalf("call without a: %v, want type_mismatch naming argument 0 and $.a", err)
	}
	rv, err = src2.Read(ctx, []string{nsuID("Plant.Structs.Sparse"), nsuID("Plant.Structs.Machines")})
	if err != nil || rv[0].Err != nil || rv[1].Err != nil {
		t.Fatalf("read: %v %+v", err, rv)
	}
	checkObject(t, "read Sparse", rv[0].Value, tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(-3)}}})
	if ms, ok := rv[1].Value.([]tag.Object); !ok || len(ms) != 2 || rv[1].DataType != "Machine" {
		t.Fatalf("read Machines %s %T %#v, want two Machine", rv[1].DataType, rv[1].Value, rv[1].Value)
	} else {
		checkObject(t, "read Machines[1]", ms[1], structMachine("press 2", 2))
	}
}
