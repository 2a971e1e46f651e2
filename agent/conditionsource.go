package agent

import "github.com/edgetag/edgetag/opcua"

// ConditionSource returns the running source named name, whose
// Acknowledge, Confirm and AddComment act on its conditions through its
// current session; nil when no source has that name. A reload may replace
// the source: look it up for every command.
func (a *Agent) ConditionSource(name string) *opcua.Source {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rs, ok := a.sources[name]; ok {
		return rs.src
	}
	return nil
}
