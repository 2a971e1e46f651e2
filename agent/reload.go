package agent

import (
	"context"
	"os"
	"reflect"
	"time"

	"github.com/edgetag/edgetag/opcua"
)

// restartOnly lists the settings that differ between old and next but are
// applied only on restart.
func restartOnly(old, next *Config) []string {
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
	return keys
}

// sourceConfigEqual reports whether a running source can keep running under
// the new settings.
func sourceConfigEqual(a, b opcua.Config) bool { return reflect.DeepEqual(a, b) }

// LoadFunc loads and validates a site file.
type LoadFunc func(path string) (*Config, error)

// WatchReloads reloads the agent from path whenever trigger fires (SIGHUP)
// and, when poll > 0, whenever the file's modification time or size changes.
// An invalid file keeps the running config and logs every problem. It
// returns when ctx is done.
func (a *Agent) WatchReloads(ctx context.Context, path string, load LoadFunc, trigger <-chan os.Signal, poll time.Duration) {
	var tick <-chan time.Time
	var last os.FileInfo
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		tick = t.C
		last, _ = os.Stat(path)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-trigger:
			a.log.Info().Str("file", path).Msg("reload requested")
		case <-tick:
			fi, err := os.Stat(path)
			if err != nil || (last != nil && fi.ModTime().Equal(last.ModTime()) && fi.Size() == last.Size()) {
				continue
			}
			last = fi
			a.log.Info().Str("file", path).Msg("site file changed: reloading")
		}
		cfg, err := load(path)
		if err != nil {
			a.log.Error().Err(err).Str("file", path).Msg("reload refused: the running config stays in force")
			continue
		}
		if err := a.Reload(ctx, cfg); err != nil {
			a.log.Error().Err(err).Str("file", path).Msg("reload refused: the running config stays in force")
		}
	}
}
