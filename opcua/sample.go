package opcua

import (
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/edgetag/edgetag/tag"
)

// sample builds the tag.Sample of item h from a data value. A data value
// with a bad status is delivered with its status (and usually a nil value).
func (ss *session) sample(h int, dv *ua.DataValue, now time.Time) tag.Sample {
	s := tag.Sample{Node: ss.items[h].node, ReceivedAt: now}
	if dv == nil {
		s.Status = uint32(ua.StatusBadNoData)
		return s
	}
	if dv.Value != nil {
		s.Value, _ = Value(dv.Value)
	}
	s.SourceTime = dv.SourceTimestamp
	s.ServerTime = dv.ServerTimestamp
	s.Status = uint32(dv.Status)
	return s
}
