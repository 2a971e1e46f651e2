package engine

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dop251/goja"
)

// appendPayload appends {"value":<v>,"timestamp_ms":<tsMs>}. When js is nil
// the payload is unchanged and v (a tag.Sample value) is encoded losslessly;
// otherwise js, the value user code produced, is encoded, with the numbers
// of an array or object that still equal their 64-bit integer in v written
// from v exactly (appendJSOrig). datatype is the
// final meta "datatype" ("" when absent): string|number|bool force a
// conversion (an impossible one is an error, reason conversion); any other
// value leaves the value as it is. The value encodings are those of
// appendValue (Go) and appendJS (JS); the conversions are described in
// convert.go. On error dst is returned unchanged and the error names what
// could not be encoded. An encoded value longer than max bytes fails with
// a *LimitError (limit payload_bytes); a JS value stops encoding as soon as
// it passes max. With a reused dst, scalars cost no allocation.
func appendPayload(dst []byte, v any, js goja.Value, datatype string, tsMs int64, max int) ([]byte, error) {
	n := len(dst)
	dst = append(dst, `{"value":`...)
	var err error
	switch {
	case js == nil && isConversion(datatype):
		dst, err = appendGoAs(dst, v, datatype)
	case js == nil:
		dst, err = appendValue(dst, v)
	case isConversion(datatype):
		dst, err = appendJSAs(dst, js, datatype)
	default:
		dst, err = appendJSOrig(dst, js, v, max)
	}
	if err == nil && len(dst)-n > max {
		err = errPayloadBytes
	}
	if errors.Is(err, errPayloadBytes) {
		err = errLimit(LimitPayloadBytes, int64(max), 0)
	}
	if err != nil {
		return dst[:n], fmt.Errorf("payload value: %w", err)
	}
	dst = append(dst, `,"timestamp_ms":`...)
	dst = strconv.AppendInt(dst, tsMs, 10)
	return append(dst, '}'), nil
}
