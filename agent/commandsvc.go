package agent

import (
	"context"
	"sync/atomic"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/command"
	"github.com/edgetag/edgetag/opcua"
	"github.com/edgetag/edgetag/tag"
)

// The command service (package command) runs on the sink's connection from
// after the sources have started until the shutdown begins: it is stopped
// before the sources, so no write reaches a session being closed.

// commandSources gives the command service the agent's running sources.
type commandSources struct{ a *Agent }

func (s commandSources) Source(name string) (command.Source, bool) {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	rs, ok := s.a.sources[name]
	if !ok {
		return nil, false
	}
	return rs.src, true
}

func (s commandSources) Statuses() []opcua.Status { return s.a.sourceStatuses() }

// nodeOfSubject resolves a UNS subject through the running engine.
func (a *Agent) nodeOfSubject(subject string) (*tag.Node, bool) {
	return a.pipe.engine.Load().NodeOfSubject(subject)
}

// startCommands builds and starts the command service; the returned stop
// function cancels it and waits until it has stopped. An error building
// it is returned (a registration error later is logged).
func (a *Agent) startCommands(ctx context.Context, cfg *siteconfig.Config) (stop func(), err error) {
	svc, err := command.New(command.Config{
		Site:    cfg.Site,
		Policy:  cfg.Commands,
		Sources: commandSources{a},
		Resolve: a.nodeOfSubject,
	}, a.log.With().Str("component", "command").Logger())
	if err != nil {
		return nil, err
	}
	if err := svc.AddConditionEndpoints(); err != nil {
		return nil, err
	}
	a.commands.Store(svc)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(cctx, a.sink.Conn()); err != nil {
			a.log.Error().Err(err).Msg("command service not started")
		}
	}()
	return func() { cancel(); <-done }, nil
}

// commandService is the running command service, nil before Run starts it.
type commandService = atomic.Pointer[command.Service]
