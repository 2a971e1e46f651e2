package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgetag/edgetag/agent/statuspage"
	"github.com/edgetag/edgetag/engine"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/tag"
)

// getJSON decodes the JSON body of a GET into v.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestStatusAPIReportsSourcesEngineFailuresAndNATS runs the agent on the
// built-in simulator with a script that fails for one tag: /api/status
// shows the source connected with its endpoint and a sample rate, the
// failure counted by stage and reason and listed with its line and node,
// and NATS connected with the stream's fill; /api/values holds the latest
// values.
func TestStatusAPIReportsSourcesEngineFailuresAndNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	t.Parallel()
	eng := historian("acme.status")
	eng.Defaults.Code = "if (msg.meta.opcua_tag_name === \"State\") {\n  throw new Error(\"no state wanted\");\n}\n" + eng.Defaults.Code
	cfg := simSite(t, eng, true)
	runAgent(t, newAgent(t, cfg))
	base := "http://" + cfg.HTTPListen

	var st statusReport
	natstest.WaitFor(t, 60*time.Second, func() error {
		st = statusReport{}
		if err := getJSON(base+"/api/status", &st); err != nil {
			return err
		}
		if len(st.Sources) != 1 {
			return fmt.Errorf("sources: %+v", st.Sources)
		}
		s := st.Sources[0]
		if s.State != "connected" || s.Nodes == 0 || s.SamplesPerSecond <= 0 {
			return fmt.Errorf("source not connected with a rate yet: %+v", s)
		}
		if len(st.Engine.Recent) == 0 || len(st.Engine.Failures) == 0 {
			return errors.New("no engine failure yet")
		}
		return nil
	})
	s := st.Sources[0]
	if s.Name != "sim" || s.Endpoint != cfg.Sources[0].Endpoint || s.Security != "None / None" || s.Mode != "subscribe" {
		t.Errorf("source %+v", s)
	}
	if f := st.Engine.Failures[0]; f.Stage != "defaults" || f.Reason != string(engine.ReasonException) || f.Count == 0 {
		t.Errorf("failures by stage and reason: %+v", st.Engine.Failures)
	}
	r := st.Engine.Recent[0]
	if r.Stage != "defaults" || r.Line != 2 || !strings.HasSuffix(r.Node, ".State") || !strings.Contains(r.Error, "no state wanted") {
		t.Errorf("last failure %+v, want stage defaults, line 2, a State node and the thrown message", r)
	}
	if !st.Ready || st.Site != "test-site" || !st.NATS.Connected || st.NATS.JetStream == nil || st.NATS.URL == "" {
		t.Errorf("status %+v", st)
	}
	if st.Live.MaxSubjects != LiveSubjects || st.Live.MaxClients == 0 {
		t.Errorf("live %+v", st.Live)
	}

	var values struct {
		Values []struct{ Subject, Value string }
	}
	natstest.WaitFor(t, 30*time.Second, func() error {
		if err := getJSON(base+"/api/values?q=press.temperature", &values); err != nil {
			return err
		}
		if len(values.Values) == 0 {
			return errors.New("no press temperature yet")
		}
		return nil
	})
	if v := values.Values[0]; !strings.HasPrefix(v.Subject, "umh.v1.acme.status._historian.") || v.Value == "" {
		t.Errorf("value %+v", v)
	}
}

// TestLiveTableFedOnlyOnceWatched checks that published messages reach the
// status page's table only after the page or its JSON was first asked for.
func TestLiveTableFedOnlyOnceWatched(t *testing.T) {
	a := &Agent{page: statuspage.New(10, statuspage.HubConfig{})}
	msg := &tag.Message{Subject: "umh.v1.a._historian.x", Payload: []byte(`{"value":1,"timestamp_ms":1}`), TimestampMs: 1}
	a.showLive(msg)
	if _, n := a.page.Table.Search("", 10); n != 0 {
		t.Fatalf("unwatched table holds %d subjects", n)
	}
	mux := http.NewServeMux()
	a.page.Register(mux)
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/values", nil))
	a.showLive(msg)
	if vals, n := a.page.Table.Search("", 10); n != 1 || vals[0].Subject != msg.Subject {
		t.Fatalf("watched table: %d subjects %+v, want %s", n, vals, msg.Subject)
	}
}
