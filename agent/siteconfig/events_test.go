package siteconfig

import (
	"slices"
	"testing"

	"github.com/edgetag/edgetag/opcua"
)

// TestEvents checks the events entries of a source: the defaults, the
// conversion, and every problem located at its key.
func TestEvents(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`site: a
sources:
  - name: plc
    endpoint: opc.tcp://h:4840
    events:
      - {}
      - name: boiler
        notifier: ns=2;s=Boiler
        types: [i=2915]
        fields: [EventId, ActiveState/Id, "2:Custom/Value"]
        min_severity: 500
        source_names: [Boiler, Pump]
`), "site.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ev := cfg.Sources[0].Events
	if len(ev) != 2 || ev[0].Notifier != opcua.DefaultEventNotifier || ev[0].Name != "" || ev[0].MinSeverity != 0 {
		t.Fatalf("events %+v", ev)
	}
	if e := ev[1]; e.Name != "boiler" || e.Notifier != "ns=2;s=Boiler" || !slices.Equal(e.Types, []string{"i=2915"}) ||
		len(e.Fields) != 3 || e.MinSeverity != 500 || !slices.Equal(e.SourceNames, []string{"Boiler", "Pump"}) {
		t.Fatalf("second entry %+v", e)
	}
	if len(cfg.Sources[0].Nodes) != 0 {
		t.Fatalf("nodes %v: a source of events alone has none", cfg.Sources[0].Nodes)
	}

	_, err = Parse([]byte(`site: a
sources:
  - name: plc
    endpoint: opc.tcp://h:4840
    mode: poll
    events:
      - name: bad name
        notifier: ns=x;s=B
        types: [i=2915, "nope"]
        fields: [Severity, "a//b", "x:Y", Severity]
        min_severity: 1001
        source_names: [""]
      - name: plc
      - {}
`), "site.yaml", noEnv)
	checkErrors(t, err, []want{
		{"6:5", "sources[0].events", "events need mode subscribe"},
		{"7:15", "sources[0].events[0].name", `"bad name" is not a subject token`},
		{"8:19", "sources[0].events[0].notifier", "ns=x;s=B"},
		{"9:25", "sources[0].events[0].types[1]", `"nope"`},
		{"10:28", "sources[0].events[0].fields[1]", "empty browse name"},
		{"10:36", "sources[0].events[0].fields[2]", "namespace index"},
		{"10:43", "sources[0].events[0].fields[3]", `"Severity" selects the field of fields[0] again`},
		{"11:23", "sources[0].events[0].min_severity", "1001 is not a severity"},
		{"12:24", "sources[0].events[0].source_names[0]", "is empty"},
		{"14:9", "sources[0].events[2].name", `"plc" is already the name of events[1]`},
	})
}
