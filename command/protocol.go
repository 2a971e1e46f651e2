package command

import (
	"encoding/json"
	"time"

	"github.com/edgetag/edgetag/opcua"
)

// The JSON protocol. Requests are decoded strictly: an unknown key is
// invalid_request, so a misspelt "verfy" is not silently ignored.

// WriteRequest writes one value (Source+Node or Subject, Value) or a batch
// (Items); Verify and Timeout apply to all.
type WriteRequest struct {
	WriteItem
	Items   []WriteItem `json:"items,omitempty"`
	Verify  bool        `json:"verify,omitempty"`
	Timeout string      `json:"timeout,omitempty"`
}

// WriteItem is one value to write: to Node of Source, or to the node
// publishing on the UNS Subject.
type WriteItem struct {
	Source  string          `json:"source,omitempty"`
	Node    string          `json:"node,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Value   json.RawMessage `json:"value,omitempty"`
}

// ReadRequest reads the current value of Node (or Nodes) of Source, or of
// the nodes publishing on Subject (or Subjects).
type ReadRequest struct {
	Source   string   `json:"source,omitempty"`
	Node     string   `json:"node,omitempty"`
	Nodes    []string `json:"nodes,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Subjects []string `json:"subjects,omitempty"`
	Timeout  string   `json:"timeout,omitempty"`
}

// CallRequest calls Method on Object of Source with Args.
type CallRequest struct {
	Source  string            `json:"source"`
	Object  string            `json:"object"`
	Method  string            `json:"method"`
	Args    []json.RawMessage `json:"args,omitempty"`
	Timeout string            `json:"timeout,omitempty"`
}

// BrowseRequest browses below Node (Objects when empty) of Source, Depth
// levels deep (default 1, at most MaxBrowseDepth).
type BrowseRequest struct {
	Source  string `json:"source"`
	Node    string `json:"node,omitempty"`
	Depth   int    `json:"depth,omitempty"`
	Timeout string `json:"timeout,omitempty"`
}

// GuardedRequest is the common part of a request to a guarded endpoint
// (Service.AddGuarded): the node it is about. The endpoint's handler gets
// the whole request to decode its own fields.
type GuardedRequest struct {
	Source string `json:"source"`
	Node   string `json:"node"`
}

// MaxBrowseDepth bounds BrowseRequest.Depth.
const MaxBrowseDepth = 10

// Error is the error of a reply.
type Error struct {
	Code    opcua.ErrorCode `json:"code"`
	Message string          `json:"message"`
	// Status is the OPC UA status name when the server gave one.
	Status string `json:"status,omitempty"`
}

func errorOf(e *opcua.CommandError) *Error {
	if e == nil {
		return nil
	}
	return &Error{Code: e.Code, Message: e.Msg, Status: e.Status}
}

// Reply is the envelope of every reply: OK, and Error on failure (for a
// batch, the first failed item's error). The other fields depend on the
// endpoint.
type Reply struct {
	OK    bool   `json:"ok"`
	Error *Error `json:"error,omitempty"`

	Results   []ItemResult     `json:"results,omitempty"`
	Outputs   []Output         `json:"outputs,omitempty"`
	Variables []Variable       `json:"variables,omitempty"`
	Site      string           `json:"site,omitempty"`
	Sources   []SourceStatus   `json:"sources,omitempty"`
	Result    json.RawMessage  `json:"result,omitempty"`
	Commands  *CommandsSummary `json:"commands,omitempty"`
}

// ItemResult is the result of one written or read node.
type ItemResult struct {
	OK      bool   `json:"ok"`
	Error   *Error `json:"error,omitempty"`
	Source  string `json:"source,omitempty"`
	Node    string `json:"node,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Value is the value written (write) or read (read); a structure is
	// a JSON object of its fields in definition order.
	Value any `json:"value,omitempty"`
	// DataType is the node's built-in type, or a structure's name.
	DataType string     `json:"data_type,omitempty"`
	Old      any        `json:"old,omitempty"`
	ReadBack any        `json:"read_back,omitempty"`
	Status   string     `json:"status,omitempty"`
	SourceTS *time.Time `json:"source_timestamp,omitempty"`
	ServerTS *time.Time `json:"server_timestamp,omitempty"`
}

// Output is one output argument of a call.
type Output struct {
	Value    any    `json:"value"`
	DataType string `json:"data_type,omitempty"`
}

// Variable is one variable found by browse.
type Variable struct {
	Node       string `json:"node"`
	BrowseName string `json:"browse_name"`
	Path       string `json:"path,omitempty"`
	DataType   string `json:"data_type,omitempty"`
	Access     string `json:"access,omitempty"`
}

// SourceStatus is one source in the status reply.
type SourceStatus struct {
	Name        string    `json:"name"`
	State       string    `json:"state"`
	Since       time.Time `json:"since"`
	LastError   string    `json:"last_error,omitempty"`
	Nodes       int       `json:"nodes"`
	FailedItems int       `json:"failed_items"`
	Reconnects  uint64    `json:"reconnects"`
	Samples     uint64    `json:"samples"`
}

// CommandsSummary says in the status reply what the service allows.
type CommandsSummary struct {
	Writes bool `json:"writes"`
	Read   bool `json:"read"`
	Browse bool `json:"browse"`
}
