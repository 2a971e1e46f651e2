package opcua

import (
	"context"
	"fmt"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// currentTimeRead reads Server_ServerStatus_CurrentTime (i=2258).
var currentTimeRead = []*ua.ReadValueID{{
	NodeID:      ua.NewNumericNodeID(0, id.Server_ServerStatus_CurrentTime),
	AttributeID: ua.AttributeIDValue,
}}

// alive reads the server's CurrentTime within RequestTimeout. A failure
// (timeout, closed channel, bad status) means the connection is dead.
func (ss *session) alive(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, ss.src.cfg.RequestTimeout)
	defer cancel()
	res, err := ss.c.Read(rctx, &ua.ReadRequest{
		NodesToRead:        currentTimeRead,
		TimestampsToReturn: ua.TimestampsToReturnNeither,
	})
	if err != nil {
		return deadError("heartbeat read of CurrentTime", err)
	}
	if len(res.Results) != 1 || res.Results[0].Status != ua.StatusOK {
		st := ua.StatusBadUnexpectedError
		if len(res.Results) == 1 {
			st = res.Results[0].Status
		}
		return deadError("heartbeat read of CurrentTime", fmt.Errorf("status %w", st))
	}
	return nil
}
