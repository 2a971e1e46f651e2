package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/internal/natstest"
	"github.com/edgetag/edgetag/internal/testlog"
	"github.com/edgetag/edgetag/internal/testutil"
)

// reloadSiteFile is a complete site file around the in-process simulator; location
// goes into the subject.
func reloadSiteFile(dir, location string, simPort, natsPort int) string {
	return fmt.Sprintf(`site: reload-test
state_dir: %s
http: {listen: ""}
simulator: {listen: "127.0.0.1:%d", rate: 50ms}
sources:
  - name: sim
    endpoint: opc.tcp://127.0.0.1:%d
    security: {policy: None, mode: None}
    publishing_interval: 50ms
    sampling_interval: 50ms
    nodes: [{id: "%s"}]
tag_processor:
  defaults: |
    msg.meta.location_path = "%s";
    msg.meta.data_contract = "_historian";
    msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
nats:
  embedded: {listen: "127.0.0.1:%d"}
  jetstream: {enabled: false}
`, dir, simPort, simPort, simPlantRoot, location, natsPort)
}

// TestWatchReloadsFile drives reloads the way SIGHUP does: the file is
// re-read and validated; a broken file keeps the running config, a changed
// tag_processor takes effect, and settings that need a restart (here the
// NATS port) are kept.
func TestWatchReloadsFile(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "site.yaml")
	simPort := testutil.FreePort(t)
	first := reloadSiteFile(dir, "before", simPort, testutil.FreePort(t))
	if err := os.WriteFile(path, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(p string) (*siteconfig.Config, error) {
		return siteconfig.Load(p, func(string) (string, bool) { return "", false })
	}
	cfg, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")
	waitSubjectPrefix(t, got, "umh.v1.before.", 0)

	hup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		a.WatchReloads(ctx, path, load, hup, 0)
	}()
	t.Cleanup(func() { cancel(); <-watchDone })

	// A broken file: refused, the old engine keeps running.
	broken := strings.Replace(first, "return msg;", "return msg +;", 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- os.Interrupt // any signal value: the channel is the trigger
	hup <- os.Interrupt // the second send returns once the first reload was handled
	mark := got.len()
	waitSubjectPrefix(t, got, "umh.v1.before.", mark)

	// A new tag_processor, and a new NATS port that only a restart applies.
	next := reloadSiteFile(dir, "after", simPort, testutil.FreePort(t))
	if err := os.WriteFile(path, []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- os.Interrupt
	mark = got.len()
	waitSubjectPrefix(t, got, "umh.v1.after.", mark)
}

// TestWatchReloadsNodesFile checks that watching the site file watches its
// nodes files too: rewriting the nodes file alone changes the nodes read.
func TestWatchReloadsNodesFile(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "site.yaml")
	tags := filepath.Join(dir, "tags.txt")
	simPort := testutil.FreePort(t)
	site := strings.Replace(reloadSiteFile(dir, "plant", simPort, testutil.FreePort(t)),
		fmt.Sprintf("nodes: [{id: \"%s\"}]", simPlantRoot), "nodes_file: tags.txt", 1)
	if err := os.WriteFile(path, []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tags, []byte(simPlantRoot+".Line1.Press.Temperature\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(p string) (*siteconfig.Config, error) {
		return siteconfig.Load(p, func(string) (string, bool) { return "", false })
	}
	cfg, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.NodesFiles) != 1 || cfg.NodesFiles[0] != tags {
		t.Fatalf("NodesFiles %v, want [%s]", cfg.NodesFiles, tags)
	}
	var logs testlog.Buffer
	a, err := New(cfg, zerolog.New(&logs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	runAgent(t, a)
	got := subscribe(t, a.SinkURL(), "umh.v1.>")
	waitSubjectPrefix(t, got, "umh.v1.plant._historian.Temperature", 0)

	ctx, cancel := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		a.WatchReloads(ctx, path, load, nil, 20*time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-watchDone })
	// The watch takes the files' state when it starts; change them after.
	natstest.WaitFor(t, 30*time.Second, func() error {
		if !strings.Contains(logs.String(), "watching the site file for changes") || !strings.Contains(logs.String(), "tags.txt") {
			return errors.New("the watch has not started")
		}
		return nil
	})

	if err := os.WriteFile(tags, []byte("# now the speed\n"+simPlantRoot+".Line1.Press.Speed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitSubjectPrefix(t, got, "umh.v1.plant._historian.Speed", got.len())
}
