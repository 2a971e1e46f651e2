package tag

// Object is a structured value with its fields in a fixed order: a decoded
// OPC UA structure (a PLC UDT) or an OPC UA event. It is published as a JSON
// object whose keys keep that order, and the engine sees it as a plain JS
// object. A field whose value is absent (an optional structure field that is
// not set) is simply not in Fields.
type Object struct {
	// TypeName names the structure or event type ("MachineState",
	// "BaseEventType"); it becomes opcua_data_type. Empty when unknown.
	TypeName string
	Fields   []Field
}

// Field is one named value of an Object. Value is any value a Sample may
// hold, including a nested Object or a slice of Objects.
type Field struct {
	Name  string
	Value any
}

// Get returns the value of the first field named name. Structures have few
// fields, so a linear scan is the cheapest lookup.
func (o Object) Get(name string) (any, bool) {
	for _, f := range o.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}
