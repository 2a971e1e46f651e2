package opcua

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
)

// structReadBatch is how many DataType attributes one read asks for when
// browse describes structures.
const structReadBatch = 500

// loadBrowsedStructures returns the definitions of the structured data
// types of vars (those whose data type is ExtensionObject or unknown) and
// of their enumerations (data type Int32 from a server namespace), each
// with its number of variables, and the types that failed to load with
// why.
func loadBrowsedStructures(ctx context.Context, c *gopcua.Client, vars []Variable, timeout time.Duration) (defs map[*StructDef]int, enums map[*EnumDef]int, failed map[string]error, err error) {
	var ids []*ua.NodeID
	for _, v := range vars {
		if v.DataType == "ExtensionObject" || v.DataType == "" || v.DataType == "Int32" {
			ids = append(ids, v.ID)
		}
	}
	request := func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, timeout)
	}
	l := &structLoader{c: c, request: request, types: map[string]*typeInfo{}, dicts: map[string]*schemaTypes{}}
	defs, enums, failed = map[*StructDef]int{}, map[*EnumDef]int{}, map[string]error{}
	for lo := 0; lo < len(ids); lo += structReadBatch {
		hi := min(lo+structReadBatch, len(ids))
		req := &ua.ReadRequest{}
		for _, id := range ids[lo:hi] {
			req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: id, AttributeID: ua.AttributeIDDataType})
		}
		rctx, cancel := request(ctx)
		resp, err := c.Read(rctx, req)
		cancel()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read data types: %w", err)
		}
		for _, r := range resp.Results {
			if r == nil || r.Status != ua.StatusOK || r.Value == nil {
				continue
			}
			dt, ok := r.Value.Value().(*ua.NodeID)
			if !ok || !vendorDataType(dt) {
				continue
			}
			ti, err := l.load(ctx, dt, 0)
			if err != nil {
				failed[FormatNodeID(dt)] = err
				continue
			}
			if ti.st != nil {
				defs[ti.st]++
			}
			if ti.en != nil {
				enums[ti.en]++
			}
		}
	}
	return defs, enums, failed, nil
}

// printStructures writes the structures of defs, and the structures nested
// in them, as comment lines (so that a yaml listing stays pasteable): per
// structure its name, data type id, kind and fields in encoding order, an
// enumeration field with its values; then the enumerations of enumeration
// variables (enums) with their values.
func printStructures(w io.Writer, defs map[*StructDef]int, enums map[*EnumDef]int, failed map[string]error) error {
	if len(defs) == 0 && len(enums) == 0 && len(failed) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	if len(defs) > 0 {
		writeStructDefs(bw, defs)
	}
	if len(enums) > 0 {
		writeEnumDefs(bw, enums)
	}
	keys := make([]string, 0, len(failed))
	for k := range failed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(bw, "# data type %s: not decodable: %s\n", k, oneLine(failed[k].Error()))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("print structures: %w", err)
	}
	return nil
}

// writeStructDefs writes the structures of defs and those nested in them.
func writeStructDefs(bw *bufio.Writer, defs map[*StructDef]int) {
	all := map[*StructDef]int{}
	var walk func(d *StructDef, depth int)
	walk = func(d *StructDef, depth int) {
		if _, seen := all[d]; seen || depth > maxStructDepth {
			return
		}
		all[d] = 0
		for i := range d.Fields {
			if d.Fields[i].Struct != nil {
				walk(d.Fields[i].Struct, depth+1)
			}
		}
	}
	for d := range defs {
		walk(d, 0)
	}
	for d, n := range defs {
		all[d] = n
	}
	list := make([]*StructDef, 0, len(all))
	for d := range all {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Name < list[j].Name || list[i].Name == list[j].Name && list[i].TypeID < list[j].TypeID
	})
	fmt.Fprintf(bw, "# %d structures (fields in encoding order)\n", len(list))
	for _, d := range list {
		used := "nested"
		if n := all[d]; n > 0 {
			used = fmt.Sprintf("%d variables", n)
		}
		id := d.TypeID
		if id == "" {
			id = "legacy dictionary"
		}
		fmt.Fprintf(bw, "# %s (%s, %s, %s):\n", oneLine(d.Name), id, d.Kind, used)
		for _, f := range d.Fields {
			fmt.Fprintf(bw, "#   %s: %s\n", oneLine(f.Name), fieldTypeString(f))
		}
	}
}

// writeEnumDefs writes the enumerations of enumeration variables with
// their values, as a source with enums name or both publishes them.
func writeEnumDefs(bw *bufio.Writer, enums map[*EnumDef]int) {
	list := make([]*EnumDef, 0, len(enums))
	for e := range enums {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Name < list[j].Name || list[i].Name == list[j].Name && list[i].TypeID < list[j].TypeID
	})
	fmt.Fprintf(bw, "# %d enumerations of variables (Int32 values; named with the source's enums: name or both)\n", len(list))
	for _, e := range list {
		fmt.Fprintf(bw, "# %s (%s, %d variables): %s\n", oneLine(e.Name), e.TypeID, enums[e], enumValuesString(e))
	}
}

// enumValuesString lists an enumeration's values by number: "0 Off, 1 Auto".
func enumValuesString(e *EnumDef) string {
	nums := make([]int64, 0, len(e.Values))
	for n := range e.Values {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = fmt.Sprintf("%d %s", n, oneLine(e.Values[n]))
	}
	return strings.Join(parts, ", ")
}

// fieldTypeString renders a field's type: Double, Axis, Tool[], Int16[,],
// Mode (0 Off, 1 Auto), with "optional" when it may be absent.
func fieldTypeString(f FieldDef) string {
	var b strings.Builder
	switch {
	case f.Struct != nil:
		b.WriteString(oneLine(f.Struct.Name))
	case f.Enum != nil:
		b.WriteString(oneLine(f.Enum.Name))
	default:
		b.WriteString(TypeName(f.Type))
	}
	switch {
	case f.ValueRank == 1:
		b.WriteString("[]")
	case f.ValueRank > 1:
		b.WriteString("[" + strings.Repeat(",", int(f.ValueRank)-1) + "]")
	}
	if f.Enum != nil {
		b.WriteString(" (enumeration: " + enumValuesString(f.Enum) + ")")
	}
	if f.Optional {
		b.WriteString(", optional")
	}
	if f.Subtyped {
		b.WriteString(", any subtype")
	}
	return b.String()
}
