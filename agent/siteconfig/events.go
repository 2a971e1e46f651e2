package siteconfig

import (
	"fmt"
	"strconv"

	"github.com/edgetag/edgetag/opcua"
)

// eventFile is one entry of sources[].events: the events and alarms of one
// notifier object (see README, "Events and alarms").
type eventFile struct {
	Name        *string  `yaml:"name"`
	Notifier    *string  `yaml:"notifier"`
	Types       []string `yaml:"types"`
	Fields      []string `yaml:"fields"`
	MinSeverity *int     `yaml:"min_severity"`
	SourceNames []string `yaml:"source_names"`
}

// defaultEvents fills the absent values of a source's events entries.
func defaultEvents(s *sourceFile) {
	for i := range s.Events {
		e := &s.Events[i]
		setDefault(&e.Name, "")
		setDefault(&e.Notifier, opcua.DefaultEventNotifier)
		setDefault(&e.MinSeverity, 0)
	}
}

// events converts and checks the events entries of source p, each problem
// at its key.
func (c *converter) events(p string, s *sourceFile, sc *opcua.Config) {
	if len(s.Events) > 0 && sc.Mode == opcua.ModePoll {
		c.errorf(p+".events", "events need mode subscribe: a server delivers events through a subscription only; this source polls")
	}
	names := map[string]int{}
	for i := range s.Events {
		ep := p + ".events[" + strconv.Itoa(i) + "]"
		e := &s.Events[i]
		ec := opcua.EventConfig{
			Name:        *e.Name,
			Notifier:    *e.Notifier,
			Types:       e.Types,
			Fields:      e.Fields,
			SourceNames: e.SourceNames,
		}
		name := ec.Name
		if name == "" {
			name = sc.Name
		}
		if ec.Name != "" && opcua.SafeName(ec.Name) != ec.Name {
			c.errorf(ep+".name", "%q is not a subject token: use letters, digits, _ and - (it is the events' tag_name)", ec.Name)
		}
		if j, dup := names[name]; dup {
			c.errorf(ep+".name", "%q is already the name of events[%d]: entries of one source need distinct names (their events would share a subject)", name, j)
		}
		names[name] = i
		if err := checkNodeID(ec.Notifier); err != nil {
			c.errorf(ep+".notifier", "%v", err)
		}
		for j, t := range ec.Types {
			if err := checkNodeID(t); err != nil {
				c.errorf(fmt.Sprintf("%s.types[%d]", ep, j), "%v (an event type such as i=2041 BaseEventType, i=2915 AlarmConditionType)", err)
			}
		}
		seen := map[string]int{}
		for j, f := range ec.Fields {
			fp := fmt.Sprintf("%s.fields[%d]", ep, j)
			key, err := opcua.CheckEventField(f)
			if err != nil {
				c.errorf(fp, "%v", err)
				continue
			}
			if k, dup := seen[key]; dup {
				c.errorf(fp, "%q selects the field of fields[%d] again", f, k)
			}
			seen[key] = j
		}
		if sev := *e.MinSeverity; sev < 0 || sev > 1000 {
			c.errorf(ep+".min_severity", "%d is not a severity: use 1 (lowest) to 1000 (highest), or 0 for all events", sev)
		} else {
			ec.MinSeverity = uint16(sev)
		}
		for j, n := range ec.SourceNames {
			if n == "" {
				c.errorf(fmt.Sprintf("%s.source_names[%d]", ep, j), "is empty: a SourceName as the server reports it")
			}
		}
		sc.Events = append(sc.Events, ec)
	}
}
