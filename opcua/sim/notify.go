package sim

import (
	"context"
	"time"

	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
)

// notifier delivers value changes to gopcua's subscriptions.
//
// gopcua's Server.ChangeNotification sends to each subscription's channel
// (capacity 100) with a blocking send while holding the monitored-item
// lock. A subscription whose goroutine has ended (lifetime expired, client
// gone, DeleteSubscriptions) stops draining its channel, and its own
// clean-up needs that same lock: one tick of changes then deadlocks the
// whole server. The notifier does the same work but bounds every wait by a
// deadline per tick: a subscription that does not drain in time is skipped
// for the rest of the tick and its notifications are counted as dropped.
type notifier struct {
	mis *server.MonitoredItemService
}

// notify sends the current value of every variable in vars to the
// subscriptions that monitor it. It waits for a slow subscription at most
// until deadline and returns how many notifications it dropped.
func (n notifier) notify(ctx context.Context, vars []*variable, deadline time.Time) (dropped int) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	expired := false
	var stalled map[*server.Subscription]bool

	n.mis.Mu.Lock()
	defer n.mis.Mu.Unlock()
	for _, v := range vars {
		items := n.mis.Nodes[v.key]
		if len(items) == 0 {
			continue
		}
		dv := v.cur.Load()
		for _, it := range items {
			if it == nil || it.Sub == nil || it.Req == nil || it.Req.RequestedParameters == nil || it.Req.ItemToMonitor == nil {
				continue
			}
			if it.Req.ItemToMonitor.AttributeID != ua.AttributeIDValue {
				continue // only values change
			}
			if stalled[it.Sub] {
				dropped++
				continue
			}
			m := &ua.MonitoredItemNotification{ClientHandle: it.Req.RequestedParameters.ClientHandle, Value: dv}
			select {
			case it.Sub.NotifyChannel <- m:
				continue
			default:
			}
			if !expired {
				select {
				case it.Sub.NotifyChannel <- m:
					continue
				case <-timer.C:
					expired = true
				case <-ctx.Done():
					expired = true
				}
			}
			if stalled == nil {
				stalled = map[*server.Subscription]bool{}
			}
			stalled[it.Sub] = true
			dropped++
		}
	}
	return dropped
}
