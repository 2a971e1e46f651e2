package sim

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/server/attrs"
	"github.com/gopcua/opcua/ua"
)

// NamespaceURI is the URI of the simulator's namespace (index 1).
const NamespaceURI = "urn:edgetag:sim"

// TotalEnergyBase is the first value of every machine's TotalEnergy
// (UInt64): 2^53 + 1, which a float64 cannot hold, so a consumer that
// loses integer precision shows it at once.
const TotalEnergyBase uint64 = 9007199254740993

// Lines and machines of the simulated plant, below Objects/Plant:
// Plant/<Line>/<Machine>/<Variable>, node ids ns=1;s=Plant.<Line>.<Machine>.<Variable>.
var (
	lineNames    = []string{"Line1", "Line2"}
	machineNames = []string{"Press", "Robot"}
)

// variable is one simulated variable whose value changes every tick.
type variable struct {
	id   *ua.NodeID
	key  string // id.String(), the key of gopcua's monitored-item table
	node *server.Node
	next func(tick uint64, now time.Time) any
	cur  atomic.Pointer[ua.DataValue]
}

// set stores the value v observed at now.
func (v *variable) set(val any, now time.Time) {
	v.cur.Store(&ua.DataValue{
		EncodingMask:    ua.DataValueValue | ua.DataValueSourceTimestamp | ua.DataValueServerTimestamp,
		Value:           ua.MustVariant(val),
		SourceTimestamp: now,
		ServerTimestamp: now,
	})
}

// plant builds the address space into ns and returns every changing
// variable: the machines, Plant/Types (one variable per supported value
// type) and Plant/Scale (extra Doubles).
type plant struct {
	ns   *server.NodeNameSpace
	vars []*variable
	// commands is Plant/Commands: writable variables and a method.
	commands commands
	// Attribute values and the type-definition reference that every
	// variable of a kind shares, allocated once: a copy each cost about
	// 1.5 kB per variable at 100,000 variables. The server hands them out
	// on Read without changing them; NodeClass is stored as Int32, which
	// gopcua would otherwise convert in place on every read.
	common    map[string]*ua.DataValue
	dataTypes map[uint32]*ua.DataValue
	ranks     map[int32]*ua.DataValue
	varType   *ua.ReferenceDescription
}

// init allocates the shared attribute values.
func (p *plant) init() {
	access := byte(ua.AccessLevelTypeCurrentRead)
	p.common = map[string]*ua.DataValue{
		"nodeClass":   server.DataValueFromValue(int32(ua.NodeClassVariable)),
		"description": server.DataValueFromValue(&ua.LocalizedText{}),
		"access":      server.DataValueFromValue(access),
		"historizing": server.DataValueFromValue(false),
	}
	p.dataTypes = map[uint32]*ua.DataValue{}
	p.ranks = map[int32]*ua.DataValue{}
	p.varType = &ua.ReferenceDescription{
		ReferenceTypeID: ua.NewNumericNodeID(0, id.HasTypeDefinition),
		IsForward:       true,
		NodeID:          ua.NewNumericExpandedNodeID(0, id.BaseDataVariableType),
		BrowseName:      &ua.QualifiedName{Name: "BaseDataVariableType"},
		DisplayName:     attrs.DisplayName("BaseDataVariableType", ""),
		NodeClass:       ua.NodeClassVariableType,
		TypeDefinition:  ua.NewTwoByteExpandedNodeID(0),
	}
}

func (p *plant) object(parent *server.Node, path, name string) *server.Node {
	n := server.NewNode(
		ua.NewStringNodeID(p.ns.ID(), path),
		server.Attributes{
			ua.AttributeIDNodeClass:     server.DataValueFromValue(uint32(ua.NodeClassObject)),
			ua.AttributeIDBrowseName:    server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: p.ns.ID(), Name: name}),
			ua.AttributeIDDisplayName:   server.DataValueFromValue(attrs.DisplayName(name, "")),
			ua.AttributeIDEventNotifier: server.DataValueFromValue(byte(0)),
		},
		server.References{{
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HasTypeDefinition),
			IsForward:       true,
			NodeID:          ua.NewNumericExpandedNodeID(0, id.FolderType),
			BrowseName:      &ua.QualifiedName{Name: "FolderType"},
			DisplayName:     attrs.DisplayName("FolderType", ""),
			NodeClass:       ua.NodeClassObjectType,
			TypeDefinition:  ua.NewTwoByteExpandedNodeID(0),
		}},
		nil,
	)
	p.ns.AddNode(n)
	parent.AddRef(n, id.Organizes, true)
	return n
}

// variable adds a read-only variable of the given data type (a built-in
// type id or a structure's data type id) and value rank.
func (p *plant) variable(parent *server.Node, path, name string, dataType uint32, valueRank int32, next func(uint64, time.Time) any) {
	p.vars = append(p.vars, p.newVariable(parent, path, name, dataType, valueRank, byte(ua.AccessLevelTypeCurrentRead), next))
}

// newVariable adds a variable with the given access level and returns it;
// its value changes only when the caller sets it (variable adds it to the
// values that change every tick).
func (p *plant) newVariable(parent *server.Node, path, name string, dataType uint32, valueRank int32, access byte, next func(uint64, time.Time) any) *variable {
	v := &variable{id: ua.NewStringNodeID(p.ns.ID(), path), next: next}
	v.key = v.id.String()
	v.set(next(0, time.Now().UTC()), time.Now().UTC())
	if p.common == nil {
		p.init()
	}
	dt, ok := p.dataTypes[dataType]
	if !ok {
		dt = server.DataValueFromValue(ua.NewNumericNodeID(0, dataType))
		p.dataTypes[dataType] = dt
	}
	rank, ok := p.ranks[valueRank]
	if !ok {
		rank = server.DataValueFromValue(valueRank)
		p.ranks[valueRank] = rank
	}
	// Sized for every attribute, Description included (NewNode adds an
	// empty one otherwise, which grows the map).
	a := make(server.Attributes, 10)
	a[ua.AttributeIDNodeClass] = p.common["nodeClass"]
	a[ua.AttributeIDBrowseName] = server.DataValueFromValue(&ua.QualifiedName{NamespaceIndex: p.ns.ID(), Name: name})
	a[ua.AttributeIDDisplayName] = server.DataValueFromValue(attrs.DisplayName(name, ""))
	a[ua.AttributeIDDescription] = p.common["description"]
	a[ua.AttributeIDDataType] = dt
	a[ua.AttributeIDValueRank] = rank
	accessValue := p.common["access"]
	if access != byte(ua.AccessLevelTypeCurrentRead) {
		accessValue = server.DataValueFromValue(access)
	}
	a[ua.AttributeIDAccessLevel] = accessValue
	a[ua.AttributeIDUserAccessLevel] = accessValue
	a[ua.AttributeIDHistorizing] = p.common["historizing"]
	if valueRank > 0 {
		dims := make([]uint32, valueRank)
		a[ua.AttributeIDArrayDimensions] = server.DataValueFromValue(dims)
	}
	typeRef := *p.varType // its pointers are shared, never changed
	v.node = server.NewNode(v.id, a, server.References{&typeRef}, func() *ua.DataValue { return v.cur.Load() })
	p.ns.AddNode(v.node)
	parent.AddRef(v.node, id.HasComponent, true)
	return v
}

var states = []string{"RUNNING", "IDLE", "SETUP", "FAULT"}

// build lays out the plant below objects.
func (p *plant) build(objects *server.Node, extraTags int) {
	root := p.object(objects, "Plant", "Plant")
	for li, line := range lineNames {
		ln := p.object(root, "Plant."+line, line)
		for mi, machine := range machineNames {
			m := float64(li*len(machineNames) + mi) // machine number
			base := "Plant." + line + "." + machine
			mn := p.object(ln, base, machine)
			axes := 3
			if machine == "Robot" {
				axes = 6
			}
			p.variable(mn, base+".Temperature", "Temperature", id.Double, -1, func(t uint64, _ time.Time) any {
				return 40 + m + 5*math.Sin(float64(t)/10+m)
			})
			p.variable(mn, base+".Pressure", "Pressure", id.Float, -1, func(t uint64, _ time.Time) any {
				return float32(1 + 0.25*math.Cos(float64(t)/7+m))
			})
			p.variable(mn, base+".Speed", "Speed", id.Int32, -1, func(t uint64, _ time.Time) any {
				return int32(1000 + (t*7+uint64(m)*13)%200)
			})
			p.variable(mn, base+".Running", "Running", id.Boolean, -1, func(t uint64, _ time.Time) any {
				return (t/5+uint64(m))%4 != 3
			})
			p.variable(mn, base+".PartCounter", "PartCounter", id.UInt32, -1, func(t uint64, _ time.Time) any {
				return uint32(t * uint64(m+1))
			})
			p.variable(mn, base+".TotalEnergy", "TotalEnergy", id.UInt64, -1, func(t uint64, _ time.Time) any {
				return TotalEnergyBase + t*uint64(m+1)
			})
			p.variable(mn, base+".State", "State", id.String, -1, func(t uint64, _ time.Time) any {
				return states[(t/5+uint64(m))%uint64(len(states))]
			})
			p.variable(mn, base+".LastChange", "LastChange", id.DateTime, -1, func(_ uint64, now time.Time) any {
				return now
			})
			p.variable(mn, base+".AxisPositions", "AxisPositions", id.Double, 1, func(t uint64, _ time.Time) any {
				pos := make([]float64, axes)
				for i := range pos {
					pos[i] = math.Round(100*math.Sin(float64(t)/5+float64(i)+m)*1000) / 1000
				}
				return pos
			})
		}
	}
	p.types(root)
	p.commands.build(p, root)
	if extraTags > 0 {
		scale := p.object(root, "Plant.Scale", "Scale")
		parent := scale
		for i := range extraTags {
			if extraTags > scaleFlatMax && i%scaleGroupSize == 0 {
				g := fmt.Sprintf("Group%03d", i/scaleGroupSize)
				parent = p.object(scale, "Plant.Scale."+g, g)
			}
			k := float64(i)
			name := fmt.Sprintf("Tag%05d", i)
			p.variable(parent, "Plant.Scale."+name, name, id.Double, -1, func(t uint64, _ time.Time) any {
				return k + float64(t)/1000
			})
		}
	}
	// A second hierarchical path into the plant and a cycle back to its
	// root, as real servers have: browsers must not loop or duplicate.
	l2 := p.ns.Node(ua.NewStringNodeID(p.ns.ID(), "Plant.Line2"))
	l2.AddRef(root, id.Organizes, true)
}

// Above scaleFlatMax extra tags, Plant/Scale holds folders (Group000, ...)
// of scaleGroupSize tags each, as real servers structure large address
// spaces; the tags keep their node ids (Plant.Scale.TagNNNNN). A folder
// of 1,000 needs a continuation point or two per browse, which is what a
// browse continuation-point limit (Config.BrowseContinuationPoints) bites on.
const (
	scaleFlatMax   = 5000
	scaleGroupSize = 1000
)

// types adds Plant/Types with one changing variable per value type the
// converter supports.
func (p *plant) types(root *server.Node) {
	tn := p.object(root, "Plant.Types", "Types")
	add := func(name string, dataType uint32, rank int32, next func(t uint64, now time.Time) any) {
		p.variable(tn, "Plant.Types."+name, name, dataType, rank, next)
	}
	add("Boolean", id.Boolean, -1, func(t uint64, _ time.Time) any { return t%2 == 0 })
	add("SByte", id.SByte, -1, func(t uint64, _ time.Time) any { return int8(-100 + int(t%200)) })
	add("Byte", id.Byte, -1, func(t uint64, _ time.Time) any { return uint8(t) })
	add("Int16", id.Int16, -1, func(t uint64, _ time.Time) any { return int16(-30000 + int(t%60000)) })
	add("UInt16", id.UInt16, -1, func(t uint64, _ time.Time) any { return uint16(60000 + t%5000) })
	add("Int32", id.Int32, -1, func(t uint64, _ time.Time) any { return int32(-2000000000 + int64(t)) })
	add("UInt32", id.UInt32, -1, func(t uint64, _ time.Time) any { return uint32(4000000000 + t) })
	add("Int64", id.Int64, -1, func(t uint64, _ time.Time) any { return int64(-9007199254740993) - int64(t) })
	add("UInt64", id.UInt64, -1, func(t uint64, _ time.Time) any { return TotalEnergyBase + t })
	add("Float", id.Float, -1, func(t uint64, _ time.Time) any { return float32(t) + 0.5 })
	add("Double", id.Double, -1, func(t uint64, _ time.Time) any { return float64(t) + 0.25 })
	add("String", id.String, -1, func(t uint64, _ time.Time) any { return "Wert-" + strconv.FormatUint(t, 10) + "-äöü" })
	add("DateTime", id.DateTime, -1, func(_ uint64, now time.Time) any { return now })
	add("Guid", id.GUID, -1, func(t uint64, _ time.Time) any {
		return &ua.GUID{Data1: uint32(t), Data2: 0xFA75, Data3: 0x4AE6, Data4: []byte{0x8D, 0x28, 0xB4, 0x04, 0xDC, 0x7D, 0xAF, byte(t)}}
	})
	add("ByteString", id.ByteString, -1, func(t uint64, _ time.Time) any { return []byte{0xDE, 0xAD, byte(t >> 8), byte(t)} })
	add("XmlElement", id.XMLElement, -1, func(t uint64, _ time.Time) any {
		return ua.XMLElement("<tick>" + strconv.FormatUint(t, 10) + "</tick>")
	})
	add("NodeId", id.NodeID, -1, func(t uint64, _ time.Time) any {
		return ua.NewStringNodeID(1, "Plant.Line1.Press.T"+strconv.FormatUint(t%3, 10))
	})
	add("ExpandedNodeId", id.ExpandedNodeID, -1, func(t uint64, _ time.Time) any {
		return ua.NewExpandedNodeID(ua.NewNumericNodeID(1, uint32(t)), NamespaceURI, 0)
	})
	add("StatusCode", id.StatusCode, -1, func(t uint64, _ time.Time) any {
		return []ua.StatusCode{ua.StatusOK, ua.StatusUncertain, ua.StatusBadNodeIDUnknown}[t%3]
	})
	add("QualifiedName", id.QualifiedName, -1, func(t uint64, _ time.Time) any {
		return &ua.QualifiedName{NamespaceIndex: 1, Name: "Q" + strconv.FormatUint(t, 10)}
	})
	add("LocalizedText", id.LocalizedText, -1, func(t uint64, _ time.Time) any {
		return ua.NewLocalizedTextWithLocale([]string{"Presse läuft", "Presse steht"}[t%2], "de-DE")
	})
	add("Range", id.Range, -1, func(t uint64, _ time.Time) any {
		return ua.NewExtensionObject(&ua.Range{Low: -float64(t), High: float64(t) + 100})
	})
	add("DoubleArray", id.Double, 1, func(t uint64, _ time.Time) any { return []float64{float64(t), -1.5, math.Pi} })
	add("Int32Array", id.Int32, 1, func(t uint64, _ time.Time) any { return []int32{int32(t), -1, math.MaxInt32} })
	add("StringArray", id.String, 1, func(t uint64, _ time.Time) any { return []string{"a", strconv.FormatUint(t, 10)} })
	add("UInt64Array", id.UInt64, 1, func(t uint64, _ time.Time) any { return []uint64{TotalEnergyBase + t, math.MaxUint64} })
	add("Matrix", id.Int32, 2, func(t uint64, _ time.Time) any {
		k := int32(t)
		return [][]int32{{k, k + 1, k + 2}, {k + 3, k + 4, k + 5}}
	})
}
