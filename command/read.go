package command

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/edgetag/edgetag/opcua"
)

// handleRead serves edgetag.<site>.read: current values, without waiting
// for the next change. Enabled by the policy's Read.
func (s *Service) handleRead(ctx context.Context, r micro.Request) Reply {
	rep := s.read(ctx, r)
	s.audit.count("read", resultOfReply(rep))
	return rep
}

func (s *Service) read(ctx context.Context, r micro.Request) Reply {
	var req ReadRequest
	if e := decode(r.Data(), &req); e != nil {
		return failed(e)
	}
	if s.cfg.Policy == nil || !s.cfg.Policy.Read {
		return failed(notAllowed("reads are off: set commands.read: true in the site file"))
	}
	ctx, cancel, e := s.timeoutCtx(ctx, req.Timeout)
	if e != nil {
		return failed(e)
	}
	defer cancel()
	type want struct{ source, node, subject string }
	var wants []want
	nodes := req.Nodes
	if req.Node != "" {
		nodes = append([]string{req.Node}, nodes...)
	}
	for _, n := range nodes {
		wants = append(wants, want{source: req.Source, node: n})
	}
	subjects := req.Subjects
	if req.Subject != "" {
		subjects = append([]string{req.Subject}, subjects...)
	}
	if len(nodes) > 0 && req.Source == "" {
		return failed(invalid("reading nodes needs a source"))
	}
	results := make([]ItemResult, 0, len(nodes)+len(subjects))
	for _, sub := range subjects {
		if s.cfg.Resolve == nil {
			return failed(invalid("reads by subject need the tag engine"))
		}
		n, ok := s.cfg.Resolve(sub)
		if !ok || n.Src == nil {
			results = append(results, ItemResult{Subject: sub, Error: errorOf(&opcua.CommandError{Code: opcua.CodeUnknownNode,
				Msg: fmt.Sprintf("no node has published on subject %q since the agent started", sub)})})
			continue
		}
		wants = append(wants, want{source: n.Src.Name, node: n.ID, subject: sub})
	}
	if len(wants) == 0 && len(results) == 0 {
		return failed(invalid("nothing to read: give source and node(s), or subject(s)"))
	}
	if len(wants)+len(results) > maxBatch {
		return failed(invalid("%d nodes are more than %d in one request", len(wants)+len(results), maxBatch))
	}
	// One Read per source, in order of first appearance.
	var order []string
	bySource := map[string][]int{}
	for i, w := range wants {
		if _, ok := bySource[w.source]; !ok {
			order = append(order, w.source)
		}
		bySource[w.source] = append(bySource[w.source], i)
	}
	out := make([]ItemResult, len(wants))
	for _, name := range order {
		idx := bySource[name]
		ids := make([]string, len(idx))
		for k, i := range idx {
			ids[k] = wants[i].node
			out[i] = ItemResult{Source: name, Node: wants[i].node, Subject: wants[i].subject}
		}
		src, cerr := s.source(name)
		var vals []opcua.ReadValue
		var err error
		if cerr == nil {
			vals, err = src.Read(ctx, ids)
			if err != nil {
				cerr = commandErr(err)
			}
		}
		for k, i := range idx {
			if cerr != nil {
				out[i].Error = errorOf(cerr)
				continue
			}
			v := vals[k]
			out[i].Error = errorOf(v.Err)
			out[i].Value, out[i].DataType, out[i].Status = jsonSafe(v.Value), v.DataType, v.Status
			if !v.SourceTime.IsZero() {
				t := v.SourceTime
				out[i].SourceTS = &t
			}
			if !v.ServerTime.IsZero() {
				t := v.ServerTime
				out[i].ServerTS = &t
			}
		}
	}
	results = append(out, results...)
	rep := Reply{OK: true, Results: results}
	for i := range results {
		results[i].OK = results[i].Error == nil
		if !results[i].OK && rep.OK {
			rep.OK, rep.Error = false, results[i].Error
		}
	}
	return rep
}

// resultOfReply is the counter result of a reply.
func resultOfReply(rep Reply) string {
	if rep.OK || rep.Error == nil {
		return ResultOK
	}
	return string(rep.Error.Code)
}

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
