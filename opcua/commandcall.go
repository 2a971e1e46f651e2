package opcua

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// CallOutput is one output argument of a method call.
type CallOutput struct {
	Value    any
	DataType string
}

// Call calls method (a node id) on object (a node id) through the source's
// session with args converted, like write values, to the types of the
// method's InputArguments property (read from the server and cached per
// session); an argument of a structured type takes a JSON object encoded
// from the type's definition, as a write does, and a structured output
// comes back decoded. It returns the output arguments. Every failure is a
// *CommandError: invalid_request for a wrong argument count, the
// conversion's codes naming the argument, bad_status with the server's
// status (BadMethodInvalid, BadUserAccessDenied, ...), source_down, timeout.
func (s *Source) Call(ctx context.Context, object, method string, args []json.RawMessage) ([]CallOutput, error) {
	live, release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rctx, cancel := live.requestCtx(ctx)
	defer cancel()
	objID, cerr := live.parseNode(object)
	if cerr != nil {
		return nil, cerr
	}
	methodID, cerr := live.parseNode(method)
	if cerr != nil {
		return nil, cerr
	}
	specs, err := live.inputArguments(rctx, methodID)
	if err != nil {
		return nil, requestErr(rctx, live, err, "read input arguments of method "+method)
	}
	if len(args) != len(specs) {
		names := make([]string, len(specs))
		for i, a := range specs {
			names[i] = a.Name + " " + a.TypeName
		}
		return nil, cmdErr(CodeInvalidRequest, "method %s takes %d arguments %v, got %d", method, len(specs), names, len(args))
	}
	in := make([]*ua.Variant, len(args))
	for i, a := range specs {
		var v *ua.Variant
		var cerr *CommandError
		if a.TypeName == "ExtensionObject" && a.DataType != nil {
			var sw *structWrite
			if sw, cerr = live.structValue(rctx, args[i], &nodeMeta{DataType: a.DataType, ValueRank: a.ValueRank}); sw != nil {
				v = sw.variant
			}
		} else {
			v, cerr = JSONToVariant(args[i], a.TypeName, a.ValueRank, live.namespaces)
		}
		if cerr != nil {
			if live.lost.Err() != nil {
				return nil, ErrSourceDown
			}
			cerr.Msg = fmt.Sprintf("method %s argument %d (%s): %s", method, i, a.Name, cerr.Msg)
			return nil, cerr
		}
		in[i] = v
	}
	res, err := live.c.Call(rctx, &ua.CallMethodRequest{ObjectID: objID, MethodID: methodID, InputArguments: in})
	if err != nil {
		return nil, requestErr(rctx, live, err, "call "+method)
	}
	if res.StatusCode != ua.StatusOK {
		cerr := statusErr(res.StatusCode, "method "+method)
		for i, st := range res.InputArgumentResults {
			if st != ua.StatusOK {
				cerr.Msg += fmt.Sprintf(" (argument %d: %s)", i, StatusName(uint32(st)))
				break
			}
		}
		return nil, cerr
	}
	out := make([]CallOutput, len(res.OutputArguments))
	for i, v := range res.OutputArguments {
		out[i].Value, out[i].DataType = Value(v)
		if d, name := live.decodeStructs(out[i].Value); name != "" {
			out[i].Value, out[i].DataType = d, name
		}
	}
	return out, nil
}

// inputArguments returns the input arguments of a method: its
// InputArguments property (none when it has no such property).
func (l *liveSession) inputArguments(ctx context.Context, method *ua.NodeID) ([]argSpec, error) {
	key := method.String()
	l.mu.Lock()
	specs, ok := l.methodsArgs[key]
	l.mu.Unlock()
	if ok {
		return specs, nil
	}
	res, err := l.c.Browse(ctx, &ua.BrowseRequest{
		View: &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)},
		NodesToBrowse: []*ua.BrowseDescription{{
			NodeID:          method,
			BrowseDirection: ua.BrowseDirectionForward,
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HasProperty),
			IncludeSubtypes: true,
			NodeClassMask:   uint32(ua.NodeClassVariable),
			ResultMask:      uint32(ua.BrowseResultMaskBrowseName),
		}},
	})
	if err != nil {
		return nil, err
	}
	if len(res.Results) != 1 || res.Results[0] == nil {
		return nil, fmt.Errorf("browse method: %d results", len(res.Results))
	}
	if st := res.Results[0].StatusCode; st != ua.StatusOK {
		return nil, statusErr(st, "method "+FormatNodeID(method))
	}
	var prop *ua.NodeID
	for _, r := range res.Results[0].References {
		if r.BrowseName != nil && r.BrowseName.Name == "InputArguments" && r.NodeID != nil && r.NodeID.NodeID != nil {
			prop = ua.NewNodeIDFromExpandedNodeID(r.NodeID)
		}
	}
	specs = []argSpec{}
	if prop != nil {
		dvs, err := l.readValues(ctx, []*ua.NodeID{prop})
		if err != nil {
			return nil, err
		}
		if dvs[0] == nil || dvs[0].Status != ua.StatusOK || dvs[0].Value == nil {
			return nil, fmt.Errorf("read InputArguments of %s: %v", FormatNodeID(method), dvs[0].Status)
		}
		objs, _ := dvs[0].Value.Value().([]*ua.ExtensionObject)
		var types []*ua.NodeID
		var args []*ua.Argument
		for _, o := range objs {
			a, ok := o.Value.(*ua.Argument)
			if !ok {
				return nil, fmt.Errorf("InputArguments of %s: %T is not an Argument", FormatNodeID(method), o.Value)
			}
			args = append(args, a)
			if a.DataType != nil {
				types = append(types, a.DataType)
			}
		}
		names := l.typeNamesOf(ctx, types)
		for _, a := range args {
			sp := argSpec{Name: a.Name, ValueRank: a.ValueRank, DataType: a.DataType}
			if a.DataType != nil {
				sp.TypeName = names[FormatNodeID(a.DataType)]
			}
			specs = append(specs, sp)
		}
	}
	l.mu.Lock()
	if len(l.methodsArgs) < maxCachedNodes {
		l.methodsArgs[key] = specs
	}
	l.mu.Unlock()
	return specs, nil
}

// BrowseNode browses below node (a node id; Objects when "") through the
// source's session, as `edgetag browse` does, and returns the variables
// found. Failures are *CommandErrors (source_down, timeout, unknown_node,
// bad_status).
func (s *Source) BrowseNode(ctx context.Context, node string, opt BrowseOptions) ([]Variable, error) {
	live, release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rctx, cancel := live.requestCtx(ctx)
	defer cancel()
	root := ua.NewNumericNodeID(0, id.ObjectsFolder)
	if node != "" {
		var cerr *CommandError
		if root, cerr = live.parseNode(node); cerr != nil {
			return nil, cerr
		}
	}
	vars, err := Browse(rctx, live.c, root, opt, live.log)
	if err != nil {
		return nil, requestErr(rctx, live, err, "browse "+FormatNodeID(root))
	}
	return vars, nil
}
