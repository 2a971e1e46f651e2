// Package jsonkind names the kind of a value decoded from JSON (with
// json.Decoder.UseNumber) for error messages: "a number", "an object", ...
package jsonkind

import (
	"encoding/json"
	"fmt"
)

// Of names the JSON kind of v, a value encoding/json decoded into an any
// with UseNumber. A value of another Go type is named by its type.
func Of(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
