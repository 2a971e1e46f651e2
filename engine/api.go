package engine

import "strconv"

// The API below is the contract the agent and the commands are written
// against. Its implementation lives in the other files of this package.

// Stage names used in errors, logs and metric labels.
const (
	StageDefaults           = "defaults"
	StageAdvancedProcessing = "advancedProcessing"
	StageFinalize           = "finalize" // required fields, subject, payload
	// Condition stages are "conditions[N].if" and "conditions[N].then", N 0-based.
)

// Reason classifies why a message was dropped or failed; it is a metric label.
type Reason string

// Reasons.
const (
	ReasonFiltered       Reason = "filtered" // a stage returned null/undefined: not an error
	ReasonException      Reason = "exception"
	ReasonTimeout        Reason = "timeout"
	ReasonBadReturn      Reason = "bad_return"
	ReasonMissingField   Reason = "missing_field"
	ReasonInvalidSubject Reason = "invalid_subject"
	ReasonConversion     Reason = "conversion"
	// ReasonLimit: the message went beyond a hard limit (see limits.go);
	// Failure.Err is then a *LimitError naming it.
	ReasonLimit Reason = "limit"
)

// Failure describes one message that failed. It is handed to the caller's
// callback synchronously from Process and must not be retained beyond it
// unless copied (Err and strings are safe to keep).
type Failure struct {
	Stage  string
	Reason Reason
	// Line and Column are 1-based positions within the user's snippet
	// (0 when not applicable); FileLine is the site-file line when known.
	Line, Column, FileLine int
	// Source is the offending snippet line itself ("" when not applicable).
	Source string
	Err    error
}

// Error renders the failure as one line: stage, position, error.
func (f Failure) Error() string {
	s := f.Stage + ": " + string(f.Reason)
	if f.Line > 0 {
		s += " at line " + strconv.Itoa(f.Line) + ", column " + strconv.Itoa(f.Column)
	}
	if f.Err != nil {
		s += ": " + f.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (f Failure) Unwrap() error { return f.Err }

// Stats is a snapshot of the engine's counters since it was built.
type Stats struct {
	Samples  uint64
	Emitted  uint64
	Filtered map[string]uint64            // by stage
	Failed   map[string]map[Reason]uint64 // by stage, then reason
	// SubjectCollisions counts the nodes found publishing on a subject
	// another node published on first, once per subject and node.
	SubjectCollisions uint64
	// BadDropped counts the samples dropped for their Bad status before
	// any stage ran (Config.BadStatus).
	BadDropped uint64
}

// CompileError is one snippet that does not compile. New returns all of them
// joined (errors.Join), so every problem is reported at once.
type CompileError struct {
	Stage        string
	File         string // site file, "" when unknown
	FileLine     int    // site-file line of the error, 0 when unknown
	Line, Column int    // within the snippet, 1-based
	Err          error
}

// Error renders "file:line: stage: line L, column C: message" (the parts
// that are known).
func (e *CompileError) Error() string {
	s := ""
	if e.File != "" {
		s = e.File + ":"
		if e.FileLine > 0 {
			s += strconv.Itoa(e.FileLine) + ":"
		}
		s += " "
	}
	s += e.Stage
	if e.Line > 0 {
		s += ": line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *CompileError) Unwrap() error { return e.Err }
