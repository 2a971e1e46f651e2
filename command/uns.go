package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// UNS command subjects (off by default): for tools that can only publish,
// a message on a subject matching one of Policy.UNSSubjects is a write to
// the node that publishes on the same subject with the command token
// (CommandToken, "_command") replaced by Policy.UNSContract (default
// "_historian"): umh.v1.acme.berlin.line4._command.setpoint writes the
// node publishing umh.v1.acme.berlin.line4._historian.setpoint. The
// payload is the JSON value, or {"value": ..., "verify": true}. The
// allow-list, limits and audit are those of writes; a message with a reply
// subject is answered like a write request.

// CommandToken is the subject token that marks a UNS command subject.
const CommandToken = "_command"

// DefaultUNSContract is the data contract a command subject maps to.
const DefaultUNSContract = "_historian"

// unsTarget returns the subject a command subject writes to.
func unsTarget(subject, contract string) (string, bool) {
	toks := strings.Split(subject, ".")
	found := false
	for i, t := range toks {
		if t == CommandToken {
			toks[i] = contract
			found = true
			break
		}
	}
	return strings.Join(toks, "."), found
}

// subscribeUNS subscribes to the policy's UNS command subjects in the
// service's queue group; the returned function unsubscribes them.
func (s *Service) subscribeUNS(ctx context.Context, nc *nats.Conn) (func(), error) {
	p := s.cfg.Policy
	if p == nil || len(p.UNSSubjects) == 0 {
		return func() {}, nil
	}
	contract := p.UNSContract
	if contract == "" {
		contract = DefaultUNSContract
	}
	var subs []*nats.Subscription
	unsubscribe := func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}
	for _, filter := range p.UNSSubjects {
		sub, err := nc.QueueSubscribe(filter, QueueGroup, func(m *nats.Msg) { s.handleUNS(ctx, m, contract) })
		if err != nil {
			unsubscribe()
			return nil, fmt.Errorf("command: subscribe to %s: %w", filter, err)
		}
		subs = append(subs, sub)
	}
	s.log.Info().Strs("subjects", p.UNSSubjects).Str("contract", contract).Msg("UNS command subjects subscribed")
	return unsubscribe, nil
}

// handleUNS executes one message of a UNS command subject as a write.
func (s *Service) handleUNS(ctx context.Context, m *nats.Msg, contract string) {
	rep := func() Reply {
		target, ok := unsTarget(m.Subject, contract)
		if !ok {
			return s.writeFailed("uns:"+m.Subject, invalid("subject %s has no %s token", m.Subject, CommandToken))
		}
		data := bytes.TrimSpace(m.Data)
		req := WriteRequest{}
		if len(data) > 0 && data[0] == '{' {
			var body struct {
				Value  json.RawMessage `json:"value"`
				Verify bool            `json:"verify"`
			}
			if e := decode(data, &body); e != nil {
				return s.writeFailed("uns:"+m.Subject, e)
			}
			req.Value, req.Verify = body.Value, body.Verify
		} else {
			req.Value = json.RawMessage(data)
		}
		req.Subject = target
		b, err := json.Marshal(req)
		if err != nil {
			return s.writeFailed("uns:"+m.Subject, invalid("%v", err))
		}
		return s.write(ctx, b, "uns:"+m.Subject)
	}()
	if m.Reply == "" {
		return
	}
	b, err := json.Marshal(rep)
	if err == nil {
		err = m.Respond(b)
	}
	if err != nil {
		s.log.Warn().Err(err).Str("subject", m.Subject).Msg("reply not sent")
	}
}
