package command

import (
	"context"
	"fmt"

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
