package opcua

import (
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// sample builds the tag.Sample of item h from a data value. A data value
// with a bad status is delivered with its status (and usually a nil value).
func (ss *session) sample(h int, dv *ua.DataValue, now time.Time) tag.Sample {
	return SampleFromDataValue(ss.items[h].node, dv, now)
}
