package command

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/micro"
)

// handleCall serves edgetag.<site>.call: a method call allowed by the
// policy's call rules of the source.
func (s *Service) handleCall(ctx context.Context, r micro.Request) Reply {
	var req CallRequest
	rec := AuditRecord{Time: time.Now(), Op: "call", Who: who(r)}
	rep := func() Reply {
		if e := decode(r.Data(), &req); e != nil {
			return failed(e)
		}
		rec.Source, rec.Node, rec.Method = req.Source, req.Object, req.Method
		if len(req.Args) > 0 {
			rec.Request = mustJSON(req.Args)
		}
		if req.Object == "" || req.Method == "" {
			return failed(invalid("a call needs object and method"))
		}
		p := s.cfg.Policy
		if p == nil {
			return failed(notAllowed("calls are off: the site file has no commands: block"))
		}
		src, cerr := s.source(req.Source)
		if cerr != nil {
			return failed(cerr)
		}
		rules := p.Sources[req.Source]
		if rules == nil || len(rules.Call) == 0 {
			return failed(notAllowed("the commands: block allows no calls on source %q", req.Source))
		}
		obj, err := src.CanonicalNodeID(req.Object)
		if err != nil {
			return failed(commandErr(err))
		}
		method, err := src.CanonicalNodeID(req.Method)
		if err != nil {
			return failed(commandErr(err))
		}
		matchAny := func(glob string, ids []string) bool {
			for _, id := range ids {
				if matchNode(glob, id) {
					return true
				}
			}
			return false
		}
		objIDs, methodIDs := idForms(src, req.Object, obj), idForms(src, req.Method, method)
		allowed := false
		for _, mr := range rules.Call {
			if matchAny(mr.Method, methodIDs) && (mr.Object == "" || matchAny(mr.Object, objIDs)) {
				allowed = true
				break
			}
		}
		if !allowed {
			return failed(notAllowed("method %s on %s of source %q is not in the call allow-list", req.Method, req.Object, req.Source))
		}
		ctx, cancel, e := s.timeoutCtx(ctx, req.Timeout)
		if e != nil {
			return failed(e)
		}
		defer cancel()
		outs, err := src.Call(ctx, obj, method, req.Args)
		if err != nil {
			return failed(commandErr(err))
		}
		rep := Reply{OK: true, Outputs: make([]Output, len(outs))}
		vals := make([]any, len(outs))
		for i, o := range outs {
			rep.Outputs[i] = Output{Value: jsonSafe(o.Value), DataType: o.DataType}
			vals[i] = rep.Outputs[i].Value
		}
		rec.New = vals
		return rep
	}()
	rec.Result = resultOfReply(rep)
	if rep.Error != nil {
		rec.Status, rec.Message = rep.Error.Status, rep.Error.Message
	}
	s.audit.record(rec)
	return rep
}
