package command

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go/micro"

	"github.com/edgetag/edgetag/opcua"
)

// handleBrowse serves edgetag.<site>.browse. Enabled by the policy's
// Browse.
func (s *Service) handleBrowse(ctx context.Context, r micro.Request) Reply {
	rep := func() Reply {
		var req BrowseRequest
		if e := decode(r.Data(), &req); e != nil {
			return failed(e)
		}
		if s.cfg.Policy == nil || !s.cfg.Policy.Browse {
			return failed(notAllowed("browsing is off: set commands.browse: true in the site file"))
		}
		if req.Depth < 0 || req.Depth > MaxBrowseDepth {
			return failed(invalid("depth %d: from 1 to %d", req.Depth, MaxBrowseDepth))
		}
		src, cerr := s.source(req.Source)
		if cerr != nil {
			return failed(cerr)
		}
		ctx, cancel, e := s.timeoutCtx(ctx, req.Timeout)
		if e != nil {
			return failed(e)
		}
		defer cancel()
		vars, err := src.BrowseNode(ctx, req.Node, opcua.BrowseOptions{MaxDepth: max(req.Depth, 1), MaxNodes: maxBatch})
		if err != nil {
			return failed(commandErr(err))
		}
		rep := Reply{OK: true, Variables: make([]Variable, len(vars))}
		for i, v := range vars {
			rep.Variables[i] = Variable{Node: opcua.FormatNodeID(v.ID), BrowseName: v.BrowseName,
				Path: strings.Join(append(append([]string{}, v.Path...), v.BrowseName), "/"), DataType: v.DataType, Access: opcua.AccessString(v.AccessLevel)}
		}
		return rep
	}()
	s.audit.count("browse", resultOfReply(rep))
	return rep
}
