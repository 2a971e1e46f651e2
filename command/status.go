package command

import (
	"context"

	"github.com/nats-io/nats.go/micro"
)

// handleStatus serves edgetag.<site>.status: the sources as /readyz knows
// them. Always enabled.
func (s *Service) handleStatus(_ context.Context, r micro.Request) Reply {
	var req struct{}
	if e := decode(r.Data(), &req); e != nil {
		return failed(e)
	}
	rep := Reply{OK: true, Site: s.cfg.Site}
	for _, st := range s.cfg.Sources.Statuses() {
		rep.Sources = append(rep.Sources, SourceStatus{Name: st.Name, State: string(st.State), Since: st.Since, LastError: st.LastError,
			Nodes: st.Nodes, FailedItems: st.FailedItems, Reconnects: st.Reconnects, Samples: st.Samples})
	}
	p := s.cfg.Policy
	rep.Commands = &CommandsSummary{Writes: p != nil && len(p.Sources) > 0, Read: p != nil && p.Read, Browse: p != nil && p.Browse}
	s.audit.count("status", ResultOK)
	return rep
}
