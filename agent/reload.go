package agent

import (
	"context"
	"os"
	"reflect"
	"time"

	"github.com/edgetag/edgetag/agent/siteconfig"
	"github.com/edgetag/edgetag/opcua"
)

// restartOnly lists the settings that differ between old and next but are
// applied only on restart.
func restartOnly(old, next *siteconfig.Config) []string {
	var keys []string
	if !reflect.DeepEqual(old.NATS, next.NATS) {
		keys = append(keys, "nats")
	}
	if old.HTTPListen != next.HTTPListen || old.HTTPTLS != next.HTTPTLS || old.HTTPPprof != next.HTTPPprof ||
		old.HTTPAllowInsecureListen != next.HTTPAllowInsecureListen {
		keys = append(keys, "http")
	}
	if !reflect.DeepEqual(old.Simulator, next.Simulator) {
		keys = append(keys, "simulator")
	}
	if old.Workers != next.Workers || old.QueueSize != next.QueueSize {
		keys = append(keys, "workers/queue_size")
	}
	if old.Log != next.Log {
		keys = append(keys, "log")
	}
	if old.StateDir != next.StateDir {
		keys = append(keys, "state_dir")
	}
	if !reflect.DeepEqual(old.Commands, next.Commands) {
		keys = append(keys, "commands")
	}
	return keys
}

// sourceConfigEqual reports whether a running source can keep running under
// the new settings.
func sourceConfigEqual(a, b opcua.Config) bool { return reflect.DeepEqual(a, b) }

// LoadFunc loads and validates a site file.
type LoadFunc func(path string) (*siteconfig.Config, error)

// WatchReloads reloads the agent from path whenever trigger fires (SIGHUP)
// and, when poll > 0, whenever the modification time or size of the file,
// or of a nodes file the running config reads, changes. An invalid file
// keeps the running config and logs every problem. It returns when ctx is
// done.
func (a *Agent) WatchReloads(ctx context.Context, path string, load LoadFunc, trigger <-chan os.Signal, poll time.Duration) {
	var tick <-chan time.Time
	var files []string
	var last []os.FileInfo
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		tick = t.C
		a.mu.Lock()
		files = append([]string{path}, a.cfg.NodesFiles...)
		a.mu.Unlock()
		last = statFiles(files)
		a.log.Info().Strs("files", files).Dur("every_ms", poll).Msg("watching the site file for changes")
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-trigger:
			a.log.Info().Str("file", path).Msg("reload requested")
		case <-tick:
			now := statFiles(files)
			changed := changedFile(files, last, now)
			if changed == "" {
				continue
			}
			last = now
			a.log.Info().Str("file", changed).Msg("site file changed: reloading")
		}
		cfg, err := load(path)
		if err != nil {
			a.log.Error().Err(err).Str("file", path).Msg("reload refused: the running config stays in force")
			continue
		}
		if err := a.Reload(ctx, cfg); err != nil {
			a.log.Error().Err(err).Str("file", path).Msg("reload refused: the running config stays in force")
			continue
		}
		if poll > 0 {
			files = append([]string{path}, cfg.NodesFiles...)
			last = statFiles(files)
			a.log.Info().Strs("files", files).Dur("every_ms", poll).Msg("watching the site file for changes")
		}
	}
}

// statFiles returns the FileInfo of each file, nil for one that cannot be
// read.
func statFiles(files []string) []os.FileInfo {
	out := make([]os.FileInfo, len(files))
	for i, f := range files {
		out[i], _ = os.Stat(f)
	}
	return out
}

// changedFile returns the first of files whose FileInfo differs between
// before and now (modification time or size, or it appeared), or "". A
// file that disappeared is no change: it may be being replaced.
func changedFile(files []string, before, now []os.FileInfo) string {
	for i, f := range files {
		b, n := before[i], now[i]
		if n == nil {
			continue
		}
		if b == nil || !n.ModTime().Equal(b.ModTime()) || n.Size() != b.Size() {
			return f
		}
	}
	return ""
}
