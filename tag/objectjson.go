package tag

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON encodes an Object as a JSON object whose keys are its field
// names in field order (a repeated name keeps its first value, as Get
// does); each value is encoded by encoding/json. The type name is not part
// of the JSON: it travels beside the value (opcua_data_type, a command
// reply's data_type).
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for i, f := range o.Fields {
		if repeated(o.Fields[:i], f.Name) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func repeated(earlier []Field, name string) bool {
	for _, f := range earlier {
		if f.Name == name {
			return true
		}
	}
	return false
}
