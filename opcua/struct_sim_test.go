package opcua

import (
	"strconv"
	"testing"
	"time"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/opcua/sim"
	"github.com/edgetag/edgetag/opcua/sim/simtest"
	"github.com/edgetag/edgetag/tag"
)

// simBatch is the simulator's Batch value at tick as edgetag decodes it
// (see sim.BatchBody).
func simBatch(tick uint64) tag.Object {
	last := tag.Object{TypeName: "Reading", Fields: []tag.Field{{Name: "Count", Value: int32(tick)}}}
	if tick%2 == 1 {
		last.Fields = []tag.Field{{Name: "Text", Value: "odd"}}
	}
	o := tag.Object{TypeName: "Batch", Fields: []tag.Field{
		{Name: "Id", Value: "B-" + strconv.FormatUint(tick, 10)},
		{Name: "State", Value: int32(tick % 3)},
		{Name: "Tick", Value: tick},
		{Name: "Doses", Value: []tag.Object{
			{TypeName: "Dose", Fields: []tag.Field{{Name: "Material", Value: "water"}, {Name: "Kg", Value: float64(tick) / 10}}},
			{TypeName: "Dose", Fields: []tag.Field{{Name: "Material", Value: "salt"}, {Name: "Kg", Value: 0.5}}},
		}},
		{Name: "Last", Value: last},
	}}
	if tick%4 == 0 {
		o.Fields = append(o.Fields, tag.Field{Name: "Note", Value: "checked"})
	}
	return o
}

// TestLegacyDictionaryStructures subscribes to a structure the simulator
// describes only in a legacy DataTypeDictionary (no DataTypeDefinition):
// every value decodes to what the simulator encoded, optional field and
// union case included.
func TestLegacyDictionaryStructures(t *testing.T) {
	// Each value lasts longer than the sampling interval (100 ms), so every
	// tick is sampled, not every other one.
	s := simtest.Start(t, sim.Config{LegacyStructures: true, Rate: 300 * time.Millisecond})
	cfg := peerConfig(t, s.Endpoint())
	cfg.Nodes = []NodeConfig{{ID: "nsu=" + sim.NamespaceURI + ";s=Plant.Legacy.Batch"}}
	src, col, stop := collectSource(t, cfg)
	defer stop()
	seen := map[uint64]bool{}
	testutil.WaitUntil(t, 60*time.Second, "batches with and without the optional field, of both union cases", func() bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		for _, smp := range col.samples {
			obj, ok := smp.Value.(tag.Object)
			if !ok {
				t.Fatalf("value %T %#v, want a tag.Object", smp.Value, smp.Value)
			}
			tv, _ := obj.Get("Tick")
			tick, _ := tv.(uint64)
			seen[tick%4] = true
		}
		return len(seen) == 4
	})
	// After a reconnect (same server, so the definitions are reused),
	// values keep decoding.
	before := col.len()
	s.DropConnections()
	testutil.WaitUntil(t, 60*time.Second, "values after a reconnect", func() bool {
		return src.Status().Reconnects > 0 && col.len() > before+2
	})
	col.mu.Lock()
	samples := append([]tag.Sample(nil), col.samples...)
	col.mu.Unlock()
	for i, smp := range samples {
		obj := smp.Value.(tag.Object)
		tv, _ := obj.Get("Tick")
		checkObject(t, "sample "+strconv.Itoa(i), obj, simBatch(tv.(uint64)))
	}
	if st := src.Status(); st.UndecodedStructures != 0 {
		t.Errorf("%d values not decoded", st.UndecodedStructures)
	}
}
