package opcua

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
)

// EventConfig is one entry of sources[].events: the events of one notifier
// object, filtered on the server by a where-clause, delivered through the
// source's session with the selected fields as a tag.Object payload.
type EventConfig struct {
	// Name is the events' tag name (opcua_tag_name and the tag_name of the
	// default subject); empty means the source's name.
	Name string
	// Notifier is the node id of the object whose events are subscribed:
	// the Server object (DefaultEventNotifier) or any object with an
	// EventNotifier attribute.
	Notifier string
	// Types are event type node ids: only events of these types or their
	// subtypes are delivered. Empty: every event.
	Types []string
	// Fields are the event fields to select, each a browse path from the
	// event type ("Severity", "ActiveState/Id", "2:Custom/Value": an
	// element is [<namespace index>:]<browse name>), plus "ConditionId",
	// the condition's node id. Empty: DefaultEventFields.
	Fields []string
	// MinSeverity drops events below this severity (1..1000; 0 = none).
	MinSeverity uint16
	// SourceNames, when set, keeps only events whose SourceName is one of
	// them.
	SourceNames []string
}

// DefaultEventNotifier is the Server object, which reports every event of
// the server.
const DefaultEventNotifier = "i=2253"

// DefaultEventFields are the fields selected when an entry names none: the
// fields of every event, then those of conditions and alarms, which other
// events leave out of the payload.
var DefaultEventFields = []string{
	"EventId", "EventType", "SourceNode", "SourceName", "Time", "ReceiveTime", "Message", "Severity",
	"ConditionId", "ConditionName", "BranchId", "Retain", "EnabledState", "EnabledState/Id",
	"ActiveState", "ActiveState/Id", "AckedState", "AckedState/Id", "ConfirmedState", "ConfirmedState/Id",
	"Quality", "LastSeverity", "Comment",
}

// Fields every event subscription selects, whether configured or not: the
// source needs them for meta, the timestamp and condition refresh. Those not
// configured are left out of the payload.
var requiredEventFields = []string{"EventId", "EventType", "SourceName", "Time", "ReceiveTime", "Severity"}

// conditionIDField selects the condition's node id (the NodeId attribute of
// the ConditionType, not a browse path).
const conditionIDField = "ConditionId"

// eventField is one parsed select clause.
type eventField struct {
	// name is the field's payload key: the browse names of the path joined
	// by ".", without namespace indexes ("ActiveState.Id").
	name string
	path []*ua.QualifiedName
	// hidden marks a required field the entry did not select.
	hidden bool
}

// parseEventField parses a field: a browse path of "/"-separated elements,
// each [<namespace index>:]<browse name>, or ConditionId.
func parseEventField(s string) (eventField, error) {
	if s == conditionIDField {
		return eventField{name: s}, nil
	}
	if s == "" {
		return eventField{}, errors.New("empty field")
	}
	var f eventField
	names := make([]string, 0, 2)
	for el := range strings.SplitSeq(s, "/") {
		var ns uint16
		name := el
		if i := strings.IndexByte(el, ':'); i >= 0 {
			n, err := strconv.ParseUint(el[:i], 10, 16)
			if err != nil {
				return eventField{}, fmt.Errorf("field %q: element %q: the part before ':' must be a namespace index", s, el)
			}
			ns, name = uint16(n), el[i+1:]
		}
		if name == "" {
			return eventField{}, fmt.Errorf("field %q: empty browse name (elements are separated by '/')", s)
		}
		f.path = append(f.path, &ua.QualifiedName{NamespaceIndex: ns, Name: name})
		names = append(names, name)
	}
	f.name = strings.Join(names, ".")
	return f, nil
}

// CheckEventField checks the syntax of one entry of fields and returns the
// payload key it selects ("ActiveState.Id" for ActiveState/Id).
func CheckEventField(s string) (key string, err error) {
	f, err := parseEventField(s)
	return f.name, err
}

// eventFields returns the parsed select clauses of e: its fields (or the
// defaults), then every required field it did not select, hidden.
func (e *EventConfig) eventFields() ([]eventField, error) {
	src := e.Fields
	if len(src) == 0 {
		src = DefaultEventFields
	}
	var out []eventField
	seen := make(map[string]bool, len(src))
	var errs []error
	for _, s := range src {
		f, err := parseEventField(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[f.name] {
			errs = append(errs, fmt.Errorf("field %q: selected twice", s))
			continue
		}
		seen[f.name] = true
		out = append(out, f)
	}
	for _, s := range requiredEventFields {
		if !seen[s] {
			f, _ := parseEventField(s)
			f.hidden = true
			out = append(out, f)
		}
	}
	return out, errors.Join(errs...)
}

// ValidateEvent checks one events entry as a source would use it and
// returns every problem, each naming its key (notifier, types[i],
// fields[i], min_severity, source_names[i]).
func ValidateEvent(e EventConfig) []error {
	var errs []error
	if e.Notifier != "" {
		if err := checkNodeIDSyntax(e.Notifier); err != nil {
			errs = append(errs, fmt.Errorf("notifier: %w", err))
		}
	}
	for i, t := range e.Types {
		if err := checkNodeIDSyntax(t); err != nil {
			errs = append(errs, fmt.Errorf("types[%d]: %w", i, err))
		}
	}
	seen := map[string]int{}
	for i, s := range e.Fields {
		f, err := parseEventField(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("fields[%d]: %w", i, err))
			continue
		}
		if j, dup := seen[f.name]; dup {
			errs = append(errs, fmt.Errorf("fields[%d]: %q is selected twice (also fields[%d])", i, s, j))
		}
		seen[f.name] = i
	}
	if e.MinSeverity > 1000 {
		errs = append(errs, fmt.Errorf("min_severity: %d is not a severity from 0 to 1000", e.MinSeverity))
	}
	for i, n := range e.SourceNames {
		if n == "" {
			errs = append(errs, fmt.Errorf("source_names[%d]: empty", i))
		}
	}
	return errs
}

// checkNodeIDSyntax checks a node id's syntax; the namespace URI of an
// nsu= id is resolved only once connected, so here it stands in as a
// namespace of its own.
func checkNodeIDSyntax(s string) error {
	var namespaces []string
	if rest, ok := strings.CutPrefix(s, "nsu="); ok {
		uri, _, _ := strings.Cut(rest, ";")
		namespaces = []string{uri}
	}
	_, err := ParseNodeID(s, namespaces)
	return err
}

// eventFilter builds the EventFilter of an entry: a select clause per field
// and a where-clause of its types, minimum severity and source names. Types
// are resolved against the session's namespaces.
func eventFilter(e *EventConfig, fields []eventField, namespaces []string) (*ua.EventFilter, error) {
	f := &ua.EventFilter{SelectClauses: make([]*ua.SimpleAttributeOperand, len(fields))}
	for i, fl := range fields {
		f.SelectClauses[i] = selectClause(fl)
	}
	var w whereBuilder
	var conds []int
	if len(e.Types) > 0 {
		var ors []int
		for _, s := range e.Types {
			t, err := ParseNodeID(s, namespaces)
			if err != nil {
				return nil, fmt.Errorf("event type %q: %w", s, err)
			}
			ors = append(ors, w.add(ua.FilterOperatorOfType, literal(t)))
		}
		conds = append(conds, w.join(ua.FilterOperatorOr, ors))
	}
	if e.MinSeverity > 0 {
		conds = append(conds, w.add(ua.FilterOperatorGreaterThanOrEqual,
			ua.NewExtensionObject(baseAttribute("Severity")), literal(e.MinSeverity)))
	}
	if len(e.SourceNames) > 0 {
		ops := []*ua.ExtensionObject{ua.NewExtensionObject(baseAttribute("SourceName"))}
		for _, n := range e.SourceNames {
			ops = append(ops, literal(n))
		}
		conds = append(conds, w.add(ua.FilterOperatorInList, ops...))
	}
	if len(conds) == 0 {
		f.WhereClause = &ua.ContentFilter{}
		return f, nil
	}
	// The refresh events bracket a ConditionRefresh; a where-clause that
	// filtered them out would leave refreshed conditions unmarked.
	root := w.join(ua.FilterOperatorOr, []int{
		w.join(ua.FilterOperatorAnd, conds),
		w.add(ua.FilterOperatorOfType, literal(ua.NewNumericNodeID(0, id.RefreshStartEventType))),
		w.add(ua.FilterOperatorOfType, literal(ua.NewNumericNodeID(0, id.RefreshEndEventType))),
	})
	f.WhereClause = w.filter(root)
	return f, nil
}

// selectClause is the SimpleAttributeOperand of a field: its browse path
// from BaseEventType (which the server evaluates without considering the
// type, Part 4 7.7.4.5), or the NodeId attribute of the ConditionType for
// ConditionId.
func selectClause(f eventField) *ua.SimpleAttributeOperand {
	if f.path == nil {
		return &ua.SimpleAttributeOperand{
			TypeDefinitionID: ua.NewNumericNodeID(0, id.ConditionType),
			AttributeID:      ua.AttributeIDNodeID,
		}
	}
	return &ua.SimpleAttributeOperand{
		TypeDefinitionID: ua.NewNumericNodeID(0, id.BaseEventType),
		BrowsePath:       f.path,
		AttributeID:      ua.AttributeIDValue,
	}
}

// baseAttribute is the operand of a field of BaseEventType.
func baseAttribute(name string) *ua.SimpleAttributeOperand {
	return &ua.SimpleAttributeOperand{
		TypeDefinitionID: ua.NewNumericNodeID(0, id.BaseEventType),
		BrowsePath:       []*ua.QualifiedName{{Name: name}},
		AttributeID:      ua.AttributeIDValue,
	}
}

// literal is a literal operand of v.
func literal(v any) *ua.ExtensionObject {
	return ua.NewExtensionObject(&ua.LiteralOperand{Value: ua.MustVariant(v)})
}

// whereBuilder builds a ContentFilter bottom-up. The filter's first element
// is its root, so elements are added children first and their order is
// reversed at the end (element i becomes n-1-i).
type whereBuilder struct {
	elems []*ua.ContentFilterElement
	// refs are, per element, the positions of its ElementOperands.
	refs [][]int
}

// add appends an element and returns its index.
func (w *whereBuilder) add(op ua.FilterOperator, operands ...*ua.ExtensionObject) int {
	w.elems = append(w.elems, &ua.ContentFilterElement{FilterOperator: op, FilterOperands: operands})
	w.refs = append(w.refs, nil)
	return len(w.elems) - 1
}

// join combines elements with a binary And or Or, left to right; one
// element is returned as it is.
func (w *whereBuilder) join(op ua.FilterOperator, idx []int) int {
	acc := idx[0]
	for _, i := range idx[1:] {
		e := w.add(op, nil, nil)
		w.refs[e] = []int{acc, i}
		acc = e
	}
	return acc
}

// filter returns the ContentFilter whose root is element root, which must
// be the last one added.
func (w *whereBuilder) filter(root int) *ua.ContentFilter {
	n := len(w.elems)
	if root != n-1 {
		panic("opcua: where-clause root is not the last element")
	}
	out := make([]*ua.ContentFilterElement, n)
	for i, e := range w.elems {
		for k, child := range w.refs[i] {
			e.FilterOperands[k] = ua.NewExtensionObject(&ua.ElementOperand{Index: uint32(n - 1 - child)})
		}
		out[n-1-i] = e
	}
	return &ua.ContentFilter{Elements: out}
}
