package opcua

import (
	"strconv"
	"strings"
	"sync"

	"github.com/gopcua/opcua/ua"
)

// StatusName returns "Good" for status 0, else the OPC UA name of the status
// code without gopcua's "Status" prefix (BadTimeout,
// UncertainLastUsableValue, ...), ignoring the info bits in the low 16 bits
// when the full code has no name, or its hex form (0x80AB0000) when it has
// no name at all. It is the name msg.meta.opcua_status_code carries.
func StatusName(code uint32) string {
	if code == 0 {
		return "Good"
	}
	d, ok := ua.StatusCodes[ua.StatusCode(code)]
	if !ok {
		d, ok = ua.StatusCodes[ua.StatusCode(code&0xFFFF0000)]
	}
	if ok && d.Name != "" {
		return strings.TrimPrefix(d.Name, "Status")
	}
	return "0x" + strings.ToUpper(strconv.FormatUint(uint64(code)|1<<32, 16)[1:])
}

// StatusCodeByName returns the code of an OPC UA status name such as
// BadTimeout (a "Status" prefix is allowed), the inverse of StatusName for
// named codes; ok is false for an unknown name.
func StatusCodeByName(name string) (code uint32, ok bool) {
	code, ok = statusCodesByName()[strings.TrimPrefix(name, "Status")]
	return code, ok
}

var statusCodesByName = sync.OnceValue(func() map[string]uint32 {
	m := make(map[string]uint32, len(ua.StatusCodes))
	for code, d := range ua.StatusCodes {
		if d.Name != "" {
			m[strings.TrimPrefix(d.Name, "Status")] = uint32(code)
		}
	}
	return m
})
