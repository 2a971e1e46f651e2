package opcua

import (
	"bytes"
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/internal/testutil"
	"github.com/edgetag/edgetag/tag"
)

// TestNodeOPCUAEnumsAndMatrix reads node-opcua's enumeration nodes and its
// 2x2 matrix of structures (server.js addStructGaps) with two sources at
// once: one with enumerations as numbers (the default), one with names.
// Phase's names come from its EnumValues property, as the server gives no
// DataTypeDefinition for it; Modes holds 5, a number without a name.
// Browse lists the enumerations of the enumeration variables.
func TestNodeOPCUAEnumsAndMatrix(t *testing.T) {
	p := startPeer(t, "STRUCTS=1", "COUNT=0")
	names := []string{"Structs.Machine", "Structs.Mode", "Structs.Phase", "Structs.Modes", "Structs.Grid"}
	run := func(enums string) (*Source, *collector, func() error) {
		cfg := peerConfig(t, p.Endpoint)
		cfg.Name = "enums-" + enums
		cfg.Enums = enums
		cfg.Nodes = []NodeConfig{{ID: nsuID("Plant.Structs")}}
		src, err := NewSource(cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		col := &collector{}
		return src, col, runSource(t, src, col.emit)
	}
	numSrc, numbers, stopNumbers := run(EnumsNumber)
	defer stopNumbers()
	nameSrc, named, stopNamed := run(EnumsName)
	defer stopNamed()
	testutil.WaitUntil(t, 60*time.Second, "a value of every node from both sources", func() bool {
		for _, n := range names {
			if numbers.count(0, n) == 0 || named.count(0, n) == 0 {
				return false
			}
		}
		return true
	})

	grid := func(mode any) tag.Matrix {
		m := tag.Matrix{Dimensions: []int{2, 2}}
		for i, name := range []string{"r0c0", "r0c1", "r1c0", "r1c1"} {
			o := structMachine(name, uint64(i))
			o.Fields[1].Value = mode
			m.Elements = append(m.Elements, o)
		}
		return m
	}
	tests := []struct {
		col  *collector
		node string
		want any
	}{
		{numbers, "Structs.Mode", int32(1)},
		{numbers, "Structs.Phase", int32(20)},
		{numbers, "Structs.Modes", []int32{0, 2, 5}},
		{numbers, "Structs.Grid", grid(int32(2))},
		{named, "Structs.Mode", "Auto"},
		{named, "Structs.Phase", "Dose"},
		{named, "Structs.Modes", []any{"Off", "Manual", int32(5)}},
		{named, "Structs.Grid", grid("Manual")},
	}
	for _, tt := range tests {
		smp, _ := tt.col.last(tt.node)
		if got, ok := smp.Value.(tag.Matrix); ok {
			want := tt.want.(tag.Matrix)
			if !reflect.DeepEqual(got.Dimensions, want.Dimensions) || len(got.Elements) != len(want.Elements) {
				t.Fatalf("%s: %v with %d elements, want %v", tt.node, got.Dimensions, len(got.Elements), want.Dimensions)
			}
			for i := range want.Elements {
				checkObject(t, tt.node, got.Elements[i], want.Elements[i].(tag.Object))
			}
			continue
		}
		if !reflect.DeepEqual(smp.Value, tt.want) {
			t.Errorf("%s: %T %#v, want %T %#v", tt.node, smp.Value, smp.Value, tt.want, tt.want)
		}
	}
	m, _ := named.last("Structs.Machine")
	want := structMachine("press 1", 42)
	want.Fields[1].Value = "Manual"
	checkObject(t, "Machine with enums: name", m.Value, want)

	if st := nameSrc.Status(); st.UnnamedEnumValues == 0 || st.UndecodedStructures != 0 {
		t.Errorf("enums name: %d unnamed numbers, %d undecoded structures; want some unnamed (Modes has 5), none undecoded",
			st.UnnamedEnumValues, st.UndecodedStructures)
	}
	if st := numSrc.Status(); st.UnnamedEnumValues != 0 || st.UndecodedStructures != 0 {
		t.Errorf("enums number: %d unnamed numbers, %d undecoded structures; want none", st.UnnamedEnumValues, st.UndecodedStructures)
	}

	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := BrowseEndpoint(ctx, peerConfig(t, p.Endpoint), nsuID("Plant.Structs"), false, BrowseOptions{}, &out, "text", zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"# 2 enumerations of variables (Int32 values; named with the source's enums: name or both)\n",
		"# Mode (ns=2;i=3000, 2 variables): 0 Off, 1 Auto, 2 Manual\n",
		"1 variables): 10 Fill, 20 Dose, 30 Drain\n",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("browse output misses %q:\n%s", w, out.String())
		}
	}
	// Column widths follow the longest name, so the matrix line is matched
	// by its fields.
	if !regexp.MustCompile(`(?m)^\s*Grid\s+ExtensionObject\[,\]\s`).MatchString(out.String()) {
		t.Errorf("browse output lists no Grid of ExtensionObject[,]:\n%s", out.String())
	}
}
