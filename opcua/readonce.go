package opcua

import (
	"context"
	"errors"
)

// ReadOnce connects to the source's server, resolves the configured nodes
// as Run does (variables as they are, folders and objects browsed), reads
// the value of every node once, emits each value read and closes the
// session: the one-shot check of a site file against a real server. It
// neither reconnects nor retries: a connection or read error is returned.
// Nodes that fail (unknown, not readable) are logged with id and status and
// counted in Status().FailedItems; nothing is emitted for them. It returns
// ctx.Err() when ctx is done or emit fails because of it. ReadOnce must not
// run at the same time as Run on the same Source.
func (s *Source) ReadOnce(ctx context.Context, emit Emit) error {
	s.status.setState(StateConnecting, nil)
	sess := &session{src: s, emit: emit, once: true}
	err := sess.run(ctx)
	var fatal *FatalError
	if err != nil && !errors.As(err, &fatal) {
		s.status.setState(StateDisconnected, err)
	} else {
		s.status.setState(StateStopped, err)
	}
	return err
}
