package engine

// Codec seams: value, payload, subject, meta and timestamp encoding. These
// stubs are replaced by their implementations (subject.go, payload.go, ...).

import (
	"errors"

	"github.com/dop251/goja"
)

var errTODO = errors.New("not implemented")

// appendSubject validates every token and appends
// prefix.location_path.data_contract[.virtual_path].tag_name to dst.
// Required values are known to be non-empty; virtualPath that is empty,
// blank, "null", "undefined" or "<nil>" is left out. The error explains the
// offending token (reason invalid_subject).
func appendSubject(dst []byte, prefix, location, contract, virtualPath, tagName string) ([]byte, error) {
	return dst, errTODO
}

// appendPayload appends {"value":<v>,"timestamp_ms":<tsMs>}. When js is nil
// the payload is unchanged and v (a tag.Sample value) is encoded losslessly;
// otherwise js, the value user code produced, is encoded. datatype is the
// final meta "datatype" ("" when absent): string|number|bool force a
// conversion (an impossible one is an error, reason conversion); any other
// value leaves the value as it is.
func appendPayload(dst []byte, v any, js goja.Value, datatype string, tsMs int64) ([]byte, error) {
	return dst, errTODO
}

// toJS converts a tag.Sample value to the JS value user code sees as
// msg.payload (numbers, strings, booleans, arrays as real JS arrays, objects;
// DateTime as its RFC 3339 string, ByteString as base64, ...).
func toJS(vm *goja.Runtime, v any) goja.Value { return goja.Undefined() }

// metaString converts a JS meta value to its header string: strings as they
// are, numbers via JS String(), booleans true/false, objects and arrays as
// JSON. ok is false for null and undefined (the key is removed).
func metaString(v goja.Value) (s string, ok bool) { return "", false }

// parseTimestampMs parses a meta timestamp: integer milliseconds (string),
// or RFC 3339 with any offset, fractions truncated to ms. ok is false for
// anything else.
func parseTimestampMs(s string) (ms int64, ok bool) { return 0, false }
