package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/edgetag/edgetag/internal/natstest"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = dispatch(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // substring of stdout+stderr
	}{
		{"no args", nil, exitUsage, "Usage:"},
		{"help", []string{"help"}, exitOK, "edgetag check"},
		{"version flag", []string{"--version"}, exitOK, "edgetag " + version},
		{"unknown", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"run help", []string{"run", "--help"}, exitOK, "built-in demo site"},
		{"check help", []string{"check", "-h"}, exitOK, "Validate the site file"},
		{"check without file", []string{"check"}, exitUsage, "-c site.yaml is required"},
		{"bad flag", []string{"process", "--nope"}, exitUsage, "flag provided but not defined"},
		{"browse without endpoint", []string{"browse"}, exitUsage, "Usage: edgetag browse"},
		{"browse bad format", []string{"browse", "--format", "xml", "opc.tcp://127.0.0.1:1"}, exitUsage, `--format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.wantOut) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tt.wantOut, out, errOut)
			}
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const siteWithEngine = `site: cmdtest
sources:
  - name: plc
    endpoint: opc.tcp://127.0.0.1:4840
    nodes: [{id: "ns=2;s=Line1"}]
tag_processor:
  defaults: |
    msg.meta.location_path = "acme.line";
    msg.meta.data_contract = "_raw";
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
`

func TestCheck(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.yaml", siteWithEngine)
	if code, out, errOut := run(t, "check", "-c", good); code != exitOK || !strings.Contains(out, "ok") {
		t.Fatalf("check good: exit %d\n%s%s", code, out, errOut)
	}
	bad := writeFile(t, "bad.yaml", strings.Replace(siteWithEngine, "return msg;", "return msg +;", 1)+"unknown_key: 1\n")
	code, _, errOut := run(t, "check", "-c", bad)
	if code != exitInvalidSite {
		t.Fatalf("check bad: exit %d, want %d\n%s", code, exitInvalidSite, errOut)
	}
	for _, want := range []string{"bad.yaml:", "tag_processor.defaults", "unknown_key", "2 problem(s)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check output lacks %q:\n%s", want, errOut)
		}
	}
}

func TestProcess(t *testing.T) {
	t.Parallel()
	site := writeFile(t, "site.yaml", siteWithEngine)
	input := writeFile(t, "in.jsonl", `{"payload": 18446744073709551615, "type": "UInt64", "meta": {"opcua_tag_name": "counter", "opcua_source_timestamp": "2024-01-02T03:04:05.678Z"}}
not json
{"payload": 1.5, "meta": {"opcua_tag_name": "Werk Köln"}}
`)
	code, out, errOut := run(t, "process", "-c", site, "-i", input)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var got struct {
		Subject string          `json:"subject"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &got); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if got.Subject != "umh.v1.acme.line._raw.counter" || string(got.Payload) != `{"value":18446744073709551615,"timestamp_ms":1704164645678}` {
		t.Fatalf("got %s %s", got.Subject, got.Payload)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"input":2`) || !strings.Contains(lines[1], `"reason":"invalid_subject"`) || !strings.Contains(lines[2], "summary") {
		t.Fatalf("stderr:\n%s", errOut)
	}

	if code, _, errOut := run(t, "process", "-c", writeFile(t, "broken.yaml", "site: [\n")); code != exitInvalidSite {
		t.Fatalf("broken config: exit %d, want %d\n%s", code, exitInvalidSite, errOut)
	}
}

// TestProcessTagProcessorOnly runs a file that holds only a pasted UMH
// tag_processor block on the documentation's bare input values; a file
// with neither sources nor tag_processor problems elsewhere still fails.
func TestProcessTagProcessorOnly(t *testing.T) {
	t.Parallel()
	site := writeFile(t, "tp.yaml", `tag_processor:
  defaults: |
    msg.meta.location_path = "enterprise";
    msg.meta.data_contract = "_historian";
    msg.meta.tag_name = "temperature";
    return msg;
`)
	input := writeFile(t, "in.jsonl", "23.5\n{\"payload\": 10, \"timestamp_ms\": 1733903611000}\n")
	code, out, errOut := run(t, "process", "-c", site, "-i", input)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"value":23.5`) ||
		!strings.Contains(lines[1], `{"value":10,"timestamp_ms":1733903611000}`) ||
		!strings.Contains(lines[0], `"subject":"umh.v1.enterprise._historian.temperature"`) {
		t.Fatalf("stdout:\n%s", out)
	}
	bad := writeFile(t, "bad.yaml", "tag_processor:\n  timeout: -1s\n")
	if code, _, errOut := run(t, "process", "-c", bad); code != exitUsage || !strings.Contains(errOut, "tag_processor.timeout") || strings.Contains(errOut, "sources") {
		t.Fatalf("bad tag_processor: exit %d, want %d with only its error\n%s", code, exitUsage, errOut)
	}
}

func TestSub(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	done := make(chan struct{})
	var code int
	var out, errOut bytes.Buffer
	go func() {
		defer close(done)
		code = dispatch([]string{"sub", "--server", srv.ClientURL(), "--headers", "--count", "1", "umh.v1.>"}, &out, &errOut)
	}()
	// Publish until the subscriber has seen one message (it subscribes
	// asynchronously).
	msg := &nats.Msg{Subject: "umh.v1.a._raw.t", Data: []byte(`{"value":1,"timestamp_ms":2}`), Header: nats.Header{"tag_name": []string{"t"}}}
	natstest.WaitFor(t, 10*time.Second, func() error {
		select {
		case <-done:
			return nil
		default:
		}
		if err := nc.PublishMsg(msg); err != nil {
			return err
		}
		_ = nc.Flush()
		return os.ErrDeadlineExceeded
	})
	<-done
	if code != exitOK || out.String() != "umh.v1.a._raw.t {\"value\":1,\"timestamp_ms\":2}\n    tag_name: t\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
