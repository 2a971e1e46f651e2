package command

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/edgetag/edgetag/opcua"
)

// guardedHandler serves an endpoint added with AddGuarded.
func (s *Service) guardedHandler(name string, fn GuardedFunc) func(context.Context, micro.Request) Reply {
	return func(ctx context.Context, r micro.Request) Reply {
		rec := AuditRecord{Time: time.Now(), Op: name, Who: who(r)}
		rep := func() Reply {
			var req GuardedRequest
			// The handler decodes its own fields: only source and node are
			// read here, so unknown keys are not an error at this stage.
			if err := json.Unmarshal(r.Data(), &req); err != nil {
				return failed(invalid("request: %v", err))
			}
			rec.Source, rec.Node = req.Source, req.Node
			rec.Request = json.RawMessage(r.Data())
			if req.Node == "" {
				return failed(invalid("no node named"))
			}
			p := s.cfg.Policy
			if p == nil {
				return failed(notAllowed("%s is off: the site file has no commands: block", name))
			}
			src, cerr := s.source(req.Source)
			if cerr != nil {
				return failed(cerr)
			}
			rules := p.Sources[req.Source]
			if rules == nil || len(rules.Guarded[name]) == 0 {
				return failed(notAllowed("the commands: block allows no %s on source %q", name, req.Source))
			}
			node, err := src.CanonicalNodeID(req.Node)
			if err != nil {
				return failed(commandErr(err))
			}
			if nodeRule(rules.Guarded[name], target{ids: idForms(src, req.Node, node)}) == nil {
				return failed(notAllowed("node %s of source %q is not in the %s allow-list", req.Node, req.Source, name))
			}
			ctx, cancel, e := s.timeoutCtx(ctx, "")
			if e != nil {
				return failed(e)
			}
			defer cancel()
			result, err := fn(ctx, src, node, r.Data())
			if err != nil {
				return failed(commandErr(err))
			}
			b, err := json.Marshal(result)
			if err != nil {
				return failed(&opcua.CommandError{Code: opcua.CodeBadStatus, Msg: "result: " + err.Error()})
			}
			return Reply{OK: true, Result: b}
		}()
		rec.Result = resultOfReply(rep)
		if rep.Error != nil {
			rec.Status, rec.Message = rep.Error.Status, rep.Error.Message
		}
		s.audit.record(rec)
		return rep
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
