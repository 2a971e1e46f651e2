package opcua

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/tag"
)

// structMachine is the value of Plant.Structs.Machine on the node-opcua
// peer started with STRUCTS=1 (server.js addStructs), as edgetag decodes
// it, with counter as given.
func structMachine(name string, counter uint64) tag.Object {
	return tag.Object{TypeName: "Machine", Fields: []tag.Field{
		{Name: "name", Value: name},
		{Name: "mode", Value: int32(2)},
		{Name: "counter", Value: counter},
		{Name: "axis", Value: tag.Object{TypeName: "Axis", Fields: []tag.Field{{Name: "x", Value: 1.5}, {Name: "y", Value: float32(0.25)}}}},
		{Name: "tools", Value: []tag.Object{
			{TypeName: "Tool", Fields: []tag.Field{{Name: "id", Value: "T1"}, {Name: "wear", Value: 0.125}}},
			{TypeName: "Tool", Fields: []tag.Field{{Name: "id", Value: "T2"}, {Name: "wear", Value: 0.5}}},
		}},
		{Name: "temps", Value: []float64{20.5, 21}},
		{Name: "options", Value: tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(7)}, {Name: "c", Value: "set"}}}},
		{Name: "choice", Value: tag.Object{TypeName: "Choice", Fields: []tag.Field{{Name: "text", Value: "chosen"}}}},
		{Name: "running", Value: true},
		{Name: "started", Value: time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)},
	}}
}

// checkObject compares a decoded structure with want field by field.
func checkObject(t *testing.T, what string, got any, want tag.Object) {
	t.Helper()
	obj, ok := got.(tag.Object)
	if !ok {
		t.Fatalf("%s: value %T %#v, want a tag.Object", what, got, got)
	}
	if obj.TypeName != want.TypeName || len(obj.Fields) != len(want.Fields) {
		t.Fatalf("%s: %s with %d fields %#v, want %s with %d", what, obj.TypeName, len(obj.Fields), obj.Fields, want.TypeName, len(want.Fields))
	}
	for i := range want.Fields {
		if !reflect.DeepEqual(obj.Fields[i], want.Fields[i]) {
			t.Errorf("%s field %d:\n got %#v\nwant %#v", what, i, obj.Fields[i], want.Fields[i])
		}
	}
}

// TestNodeOPCUAStructures subscribes to node-opcua's structured variables
// (DataTypeDefinition of nested structures, an array of structures, an
// enumeration, optional fields and a union) and compares what edgetag
// decodes with what the server encoded, field by field.
func TestNodeOPCUAStructures(t *testing.T) {
	p := startPeer(t, "STRUCTS=1", "COUNT=0")
	cfg := peerConfig(t, p.Endpoint)
	cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Structs")}}
	src, col, stop := collectSource(t, cfg)
	defer stop()
	names := []string{"Structs.Machine", "Structs.Machines", "Structs.Sparse", "Structs.Mode", "Structs.Counting"}
	testutil.WaitUntil(t, 60*time.Second, "a value of every structured node", func() bool {
		for _, n := range names {
			if col.count(0, n) == 0 {
				return false
			}
		}
		// Counting changes every tick: wait for a second value.
		return col.count(0, "Structs.Counting") > 1
	})

	m, _ := col.last("Structs.Machine")
	checkObject(t, "Machine", m.Value, structMachine("press 1", 42))

	ms, _ := col.last("Structs.Machines")
	arr, ok := ms.Value.([]tag.Object)
	if !ok || len(arr) != 2 {
		t.Fatalf("Machines: %T %#v, want two tag.Object", ms.Value, ms.Value)
	}
	checkObject(t, "Machines[0]", arr[0], structMachine("press 1", 1))
	checkObject(t, "Machines[1]", arr[1], structMachine("press 2", 2))

	sp, _ := col.last("Structs.Sparse")
	checkObject(t, "Sparse", sp.Value, tag.Object{TypeName: "Options", Fields: []tag.Field{{Name: "a", Value: int32(-3)}}})

	mode, _ := col.last("Structs.Mode")
	if mode.Value != int32(1) {
		t.Errorf("Mode: %T %v, want int32 1", mode.Value, mode.Value)
	}

	c, _ := col.last("Structs.Counting")
	obj, _ := c.Value.(tag.Object)
	counter, _ := obj.Get("counter")
	if n, ok := counter.(uint64); !ok || n == 0 || n > math.MaxInt32 {
		t.Errorf("Counting.counter %T %v, want a tick count", counter, counter)
	}
	if st := src.Status(); st.UndecodedStructures != 0 {
		t.Errorf("%d values not decoded", st.UndecodedStructures)
	}
}
