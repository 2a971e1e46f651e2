package opcua

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

// recipeJSON is a Batch written to the simulator's Plant.Legacy.Recipe,
// and recipeWritten the same as edgetag decodes it.
const recipeJSON = `{"Id":"R-1","State":"Running","Tick":5,"Doses":[{"Material":"flour","Kg":2.5}],"Last":{"Text":"ok"},"Note":"n"}`

var recipeWritten = tag.Object{TypeName: "Batch", Fields: []tag.Field{
	{Name: "Id", Value: "R-1"},
	{Name: "State", Value: int32(1)},
	{Name: "Tick", Value: uint64(5)},
	{Name: "Doses", Value: []tag.Object{{TypeName: "Dose", Fields: []tag.Field{{Name: "Material", Value: "flour"}, {Name: "Kg", Value: 2.5}}}}},
	{Name: "Last", Value: tag.Object{TypeName: "Reading", Fields: []tag.Field{{Name: "Text", Value: "ok"}}}},
	{Name: "Note", Value: "n"},
}}

// TestStructWriteLegacySim writes a structure the simulator describes
// only in a legacy DataTypeDictionary: the definition built from the
// dictionary encodes the object (optional field, union case, array of
// nested structures, enumeration by name), the simulator's value changes
// (read back, and published by the subscription), and a missing required
// field is refused with nothing written.
func TestStructWriteLegacySim(t *testing.T) {
	s := simtest.Start(t, sim.Config{LegacyStructures: true, Rate: time.Second})
	recipe := "nsu=" + sim.NamespaceURI + ";s=Plant.Legacy.Recipe"
	cfg := peerConfig(t, s.Endpoint())
	cfg.Nodes = []NodeConfig{{ID: recipe}}
	src, col, stop := collectSource(t, cfg)
	defer stop()
	testutil.WaitUntil(t, 60*time.Second, "the first Recipe value", func() bool {
		return col.count(0, "Legacy.Recipe") > 0
	})
	first, _ := col.last("Legacy.Recipe")
	checkObject(t, "first value", first.Value, simBatch(0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	from := col.len()
	res, err := src.Write(ctx, []WriteItem{{Node: recipe, Value: json.RawMessage(recipeJSON)}}, WriteOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("write: %v", res[0].Err)
	}
	checkObject(t, "old", res[0].Old.Value, simBatch(0))
	checkObject(t, "read back", res[0].ReadBack.Value, recipeWritten)
	testutil.WaitUntil(t, 20*time.Second, "the subscription publishing the written object", func() bool {
		smp, ok := col.last("Legacy.Recipe")
		return ok && col.count(from, "Legacy.Recipe") > 0 && diffValues(smp.Value, recipeWritten, "$") == ""
	})

	bad := strings.Replace(recipeJSON, `"Tick":5,`, "", 1)
	res, err = src.Write(ctx, []WriteItem{{Node: recipe, Value: json.RawMessage(bad)}}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e := res[0].Err; e == nil || e.Code != CodeTypeMismatch || !strings.Contains(e.Msg, "node "+recipe+": $.Tick: missing required field") {
		t.Fatalf("error %v, want type_mismatch naming the node and $.Tick", e)
	}
	rv, err := src.Read(ctx, []string{recipe})
	if err != nil || rv[0].Err != nil {
		t.Fatalf("read: %v %v", err, rv[0].Err)
	}
	checkObject(t, "after the refused write", rv[0].Value, recipeWritten)
	if rv[0].DataType != "Batch" {
		t.Errorf("read data type %q, want Batch", rv[0].DataType)
	}
}
