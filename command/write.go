package command

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/edgetag/edgetag/opcua"
)

// handleWrite serves edgetag.<site>.write.
func (s *Service) handleWrite(ctx context.Context, r micro.Request) Reply {
	return s.write(ctx, r.Data(), who(r))
}

// write executes one write request from by.
func (s *Service) write(ctx context.Context, data []byte, by string) Reply {
	var req WriteRequest
	if e := decode(data, &req); e != nil {
		s.audit.record(AuditRecord{Time: time.Now(), Op: "write", Who: by, Result: string(e.Code), Message: e.Msg})
		return failed(e)
	}
	items := req.Items
	single := req.Source != "" || req.Node != "" || req.Subject != "" || len(req.Value) > 0
	switch {
	case len(items) > 0 && single:
		return s.writeFailed(by, invalid("give either one value (source, node or subject, value) or items, not both"))
	case len(items) == 0 && !single:
		return s.writeFailed(by, invalid("nothing to write: give source, node and value, subject and value, or items"))
	case len(items) > maxBatch:
		return s.writeFailed(by, invalid("%d items are more than %d in one request", len(items), maxBatch))
	case len(items) == 0:
		items = []WriteItem{req.WriteItem}
	}
	ctx, cancel, e := s.timeoutCtx(ctx, req.Timeout)
	if e != nil {
		return s.writeFailed(by, e)
	}
	defer cancel()

	results := make([]ItemResult, len(items))
	// admitted holds, per source in order of first appearance, the items
	// the allow-list admitted.
	var order []string
	admitted := map[string][]int{}
	srcs := map[string]Source{}
	canon := make([]string, len(items))
	for i, it := range items {
		res := &results[i]
		res.Source, res.Node, res.Subject = it.Source, it.Node, it.Subject
		node, src, cerr := s.admitWrite(it, res)
		if cerr != nil {
			res.Error = errorOf(cerr)
			continue
		}
		canon[i] = node
		if _, ok := admitted[res.Source]; !ok {
			order = append(order, res.Source)
			srcs[res.Source] = src
		}
		admitted[res.Source] = append(admitted[res.Source], i)
	}
	for _, name := range order {
		idx := admitted[name]
		ws := make([]opcua.WriteItem, len(idx))
		for k, i := range idx {
			ws[k] = opcua.WriteItem{Node: canon[i], Value: items[i].Value}
		}
		out, err := srcs[name].Write(ctx, ws, opcua.WriteOptions{Verify: req.Verify})
		for k, i := range idx {
			res := &results[i]
			if err != nil {
				res.Error = errorOf(commandErr(err))
				continue
			}
			w := out[k]
			res.DataType = w.DataType
			res.Value = jsonSafe(w.Written)
			if w.Old != nil && w.Old.Err == nil {
				res.Old = jsonSafe(w.Old.Value)
			}
			if w.ReadBack != nil && w.ReadBack.Err == nil {
				res.ReadBack = jsonSafe(w.ReadBack.Value)
			}
			res.Error = errorOf(w.Err)
		}
	}
	rep := Reply{OK: true, Results: results}
	for i := range results {
		res := &results[i]
		res.OK = res.Error == nil
		rec := AuditRecord{Time: time.Now(), Op: "write", Who: by, Source: res.Source, Node: res.Node, Subject: res.Subject,
			Request: items[i].Value, Old: res.Old, New: res.Value, Result: ResultOK}
		if res.Error != nil {
			rec.Result, rec.Status, rec.Message = string(res.Error.Code), res.Error.Status, res.Error.Message
			if rep.OK {
				rep.OK, rep.Error = false, res.Error
			}
		}
		s.audit.record(rec)
	}
	return rep
}

func (s *Service) writeFailed(by string, e *opcua.CommandError) Reply {
	s.audit.record(AuditRecord{Time: time.Now(), Op: "write", Who: by, Result: string(e.Code), Message: e.Msg})
	return failed(e)
}

// admitWrite resolves one item to its source and node (filling res) and
// checks it against the policy: the allow-list, min/max and rate. It
// returns the node id in standard form.
func (s *Service) admitWrite(it WriteItem, res *ItemResult) (string, Source, *opcua.CommandError) {
	if len(it.Value) == 0 {
		return "", nil, invalid("no value")
	}
	if it.Subject != "" {
		if it.Node != "" || it.Source != "" {
			return "", nil, invalid("give either subject or source and node, not both")
		}
		if s.cfg.Resolve == nil {
			return "", nil, invalid("writes by subject need the tag engine")
		}
		n, ok := s.cfg.Resolve(it.Subject)
		if !ok || n.Src == nil {
			return "", nil, &opcua.CommandError{Code: opcua.CodeUnknownNode, Msg: fmt.Sprintf("no node has published on subject %q since the agent started", it.Subject)}
		}
		res.Source, res.Node = n.Src.Name, n.ID
	} else if res.Node == "" {
		return "", nil, invalid("no node named")
	}
	p := s.cfg.Policy
	if p == nil {
		return "", nil, notAllowed("writes are off: the site file has no commands: block")
	}
	src, cerr := s.source(res.Source)
	if cerr != nil {
		return "", nil, cerr
	}
	rules := p.Sources[res.Source]
	if rules == nil || len(rules.Write) == 0 {
		return "", nil, notAllowed("the commands: block allows no writes to source %q", res.Source)
	}
	node, err := src.CanonicalNodeID(res.Node)
	if err != nil {
		return "", nil, commandErr(err)
	}
	t := target{ids: idForms(src, res.Node, node)}
	if tn, ok := src.TagNode(node); ok {
		t.path = strings.Split(tn.Path, ".")
	}
	rule := nodeRule(rules.Write, t)
	if rule == nil {
		return "", nil, notAllowed("node %s of source %q is not in the write allow-list", res.Node, res.Source)
	}
	if cerr := checkBounds(rule, it.Value); cerr != nil {
		cerr.Msg = "node " + res.Node + ": " + cerr.Msg
		return "", nil, cerr
	}
	if !s.rates.allow(res.Source+"|"+node, rule, time.Now()) {
		return "", nil, &opcua.CommandError{Code: opcua.CodeRateLimited, Msg: fmt.Sprintf("node %s takes at most %d writes per %s", res.Node, rule.Rate, rule.RatePer)}
	}
	return node, src, nil
}

// idForms are the forms of a node id that allow-list globs are matched
// against: as requested, in standard form, and with its namespace URI.
func idForms(src Source, asWritten, canonical string) []string {
	ids := []string{asWritten, canonical}
	if u := src.URIForm(canonical); u != "" {
		ids = append(ids, u)
	}
	return ids
}
