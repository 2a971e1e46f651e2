package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestCheckPrintsRunWarnings checks that check reports the insecure
// settings run warns about, and still exits 0 for a valid file.
func TestCheckPrintsRunWarnings(t *testing.T) {
	t.Parallel()
	site := writeFile(t, "warn.yaml", strings.Replace(siteWithEngine, "    nodes:", "    trust: {accept_any: true}\n    nodes:", 1)+
		"http: {listen: \"0.0.0.0:9450\", allow_insecure_listen: true}\n")
	code, out, errOut := run(t, "check", "-c", site)
	if code != exitOK || !strings.Contains(out, "ok, with 2 warning(s)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"warning: http.allow_insecure_listen:", "warning: sources[0].trust.accept_any: source plc accepts any server certificate"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// TestCheckWarnsAssignmentInIf checks that check warns about an if that
// assigns instead of comparing, and still exits 0 (it is valid JavaScript).
func TestCheckWarnsAssignmentInIf(t *testing.T) {
	t.Parallel()
	site := writeFile(t, "assign.yaml", siteWithEngine+`  conditions:
    - if: msg.meta.opcua_tag_name === "x"
      then: return msg;
    - if: msg.meta.x = "y"
      then: return msg;
`)
	code, out, errOut := run(t, "check", "-c", site)
	if code != exitOK || !strings.Contains(out, "ok, with 1 warning(s)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if want := "warning: tag_processor.conditions[1].if: assigns with = instead of comparing with ==="; !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
}

// TestCheckShowsDiskBuffer checks that check shows the stream size run
// derives from the free disk under store_dir (max_bytes auto, the default),
// and says nothing of it when max_bytes is written.
func TestCheckShowsDiskBuffer(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	site := writeFile(t, "buffer.yaml", siteWithEngine+"state_dir: "+state+"\n")
	code, out, errOut := run(t, "check", "-c", site)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	want := regexp.MustCompile(`nats\.jetstream\.max_bytes auto: [0-9.]+[KMG]iB: 1/2 of [0-9.]+[KMGT]iB \(free .* \+ stored 0B\) under ` +
		regexp.QuoteMeta(state) + `, within \[64\.0MiB, 64\.0GiB\]; [0-9.]+ h at 1,000 msg/s`)
	if !want.MatchString(out) {
		t.Errorf("stdout lacks the derived buffer (%s):\n%s", want, out)
	}

	site = writeFile(t, "fixed.yaml", siteWithEngine+"state_dir: "+state+"\nnats: {jetstream: {max_bytes: 2GiB}}\n")
	if code, out, errOut = run(t, "check", "-c", site); code != exitOK || strings.Contains(out, "max_bytes") {
		t.Errorf("with max_bytes written: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
