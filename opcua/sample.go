package opcua

import (
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// sample builds the tag.Sample of item h from a data value. A data value
// with a bad status is delivered with its status (and usually a nil value).
// Structures whose definitions the session loaded are decoded.
func (ss *session) sample(h int, dv *ua.DataValue, now time.Time) tag.Sample {
	smp := SampleFromDataValue(ss.items[h].node, dv, now)
	if ss.structs != nil && len(ss.structs.byEncoding) > 0 {
		smp.Value = ss.structs.decode(smp.Value)
	}
	return smp
}
