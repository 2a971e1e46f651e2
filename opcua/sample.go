package opcua

import (
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// sample builds the tag.Sample of item h from a data value. A data value
// with a bad status is delivered with its status (and usually a nil value).
// Structures whose definitions the session loaded are decoded, and the
// value of an enumeration node is put in the configured form.
func (ss *session) sample(h int, dv *ua.DataValue, now time.Time) tag.Sample {
	smp := SampleFromDataValue(ss.items[h].node, dv, now)
	if ss.structs.active() {
		smp.Value = ss.structs.value(h, ss.items[h].node.ID, smp.Value)
	}
	return smp
}
