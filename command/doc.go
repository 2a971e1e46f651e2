// Package command is edgetag's two-way service: a NATS micro service
// (nats.go's micro package, discoverable with `nats micro ls/info/stats`)
// named "edgetag" with the endpoints edgetag.<site>.write, .read, .call,
// .browse and .status, all in one queue group, so that of two agents
// running the same site exactly one handles each request.
//
// Requests and replies are JSON (see protocol.go). Every reply has "ok";
// a failure carries "error": {"code", "message", "status"} with a stable
// code (opcua.ErrorCode: not_allowed, unknown_node, type_mismatch,
// out_of_range, bad_status, timeout, source_down, invalid_request,
// verify_failed, rate_limited).
//
// A structured node (a PLC UDT) is written, read and passed as a method
// argument as a JSON object: package opcua encodes it from the data type's
// definition on the server, and a missing required field, an unknown key
// or a field value that does not fit is type_mismatch naming the field's
// JSON path ($.axis.x).
//
// The service fails closed: without a Policy (the site file's commands:
// block) no write or call is executed; with one, only nodes and methods
// its allow-list names for their source, within its min/max and rate
// limits. Reads and browsing are enabled separately.
//
// Every write and call is audited (audit.go): logged at info with who,
// what, the old value when it was read, the new value and the result,
// counted by result code, and optionally published to an audit subject.
//
// Further endpoints guarded by the same allow-list, audit and error codes
// (acknowledging alarms, for example) are added with Service.AddGuarded
// before Run.
package command
