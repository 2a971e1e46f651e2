package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The embedded server's stream size when max_bytes is left to the disk
// (JetStream.MaxBytes 0): DiskShareDivisor-th of the space the store could
// use — what its filesystem has free plus what the store directory already
// holds, so that a restart with a full buffer derives the same size — within
// [MinDiskMaxBytes, MaxDiskMaxBytes], and at most three quarters of that
// space, which is what nats-server itself lets JetStream use (on a disk too
// small for the floor). The other half is left to the system and the logs.
const (
	DiskShareDivisor = 2
	MinDiskMaxBytes  = 64 << 20
	MaxDiskMaxBytes  = 64 << 30
)

// TypicalStoredBytes is what a typical message (a 66-byte UNS subject, a
// 44-byte payload, the default header set) costs against max_bytes, as
// BenchmarkStoredBytes measures it. It turns a buffer size into hours of
// outage in logs and in check.
const TypicalStoredBytes = 212

// DiskBuffer is a stream size derived from the disk under the store
// directory.
type DiskBuffer struct {
	// Dir is the directory whose filesystem was measured: the store
	// directory, or its nearest existing parent when it does not exist yet.
	Dir string
	// Free is the space of Dir's filesystem available to this process.
	Free int64
	// Stored is what the store directory already holds.
	Stored int64
	// MaxBytes is the derived stream size.
	MaxBytes int64
}

// BufferFromDisk derives the stream size for the store directory dir from
// its filesystem's free space (statfs) and what dir already holds (see
// DiskShareDivisor). The error names dir when its filesystem cannot be
// measured.
func BufferFromDisk(dir string) (DiskBuffer, error) {
	b := DiskBuffer{Dir: existingAncestor(dir)}
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.Dir, &st); err != nil {
		return b, fmt.Errorf("free disk space of %s (for the store directory %s): %w", b.Dir, dir, err)
	}
	b.Free = int64(uint64(st.Bavail) * uint64(st.Bsize))
	b.Stored = dirBytes(dir)
	space := b.Free + b.Stored
	// The floor never exceeds what nats-server lets JetStream use (three
	// quarters of the space, less a margin for what it measures apart from
	// this), or the stream could not be created.
	b.MaxBytes = min(max(space/DiskShareDivisor, MinDiskMaxBytes), MaxDiskMaxBytes, space/4*3-1<<20)
	return b, nil
}

// Hours is how long the buffer lasts at rate messages per second of
// TypicalStoredBytes each.
func (b DiskBuffer) Hours(rate float64) float64 {
	return float64(b.MaxBytes) / (TypicalStoredBytes * rate * 3600)
}

// String describes the derivation for logs and check, such as
// "12.0GiB: half of 24.0GiB (free 23.0GiB + stored 1.0GiB) under /var/lib/edgetag;
// 14.7 h at 1,000 msg/s, 1.5 h at 10,000 msg/s".
func (b DiskBuffer) String() string {
	return fmt.Sprintf("%s: 1/%d of %s (free %s + stored %s) under %s, within [%s, %s]; %.1f h at 1,000 msg/s, %.1f h at 10,000 msg/s of %d B",
		FormatBytes(b.MaxBytes), DiskShareDivisor, FormatBytes(b.Free+b.Stored), FormatBytes(b.Free), FormatBytes(b.Stored), b.Dir,
		FormatBytes(MinDiskMaxBytes), FormatBytes(MaxDiskMaxBytes), b.Hours(1000), b.Hours(10000), TypicalStoredBytes)
}

// FormatBytes writes n with a binary unit and one decimal (1.5GiB).
func FormatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f%ciB", f, units[i])
}

// existingAncestor returns dir, or its nearest parent that exists.
func existingAncestor(dir string) string {
	d := filepath.Clean(dir)
	for {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return d
		}
		d = parent
	}
}

// dirBytes is the size of the regular files under dir (0 when it does not
// exist); files that vanish or cannot be read while it walks are skipped.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// sizeFromDisk sets the embedded stream's MaxBytes from the disk when the
// configuration leaves it to the disk (0), and logs how long it buffers.
// Should the disk not be measurable, DefaultMaxBytes is used, with a warning.
// It runs in Start before the stream is created and any goroutine reads the
// configuration.
func (s *Sink) sizeFromDisk() {
	js := &s.cfg.JetStream
	if js.MaxBytes != 0 {
		return
	}
	b, err := BufferFromDisk(s.cfg.Embedded.StoreDir)
	if err != nil {
		js.MaxBytes = DefaultMaxBytes
		s.log.Warn().Err(err).Int64("max_bytes", js.MaxBytes).Msg("jetstream max_bytes: the disk could not be measured; using the default")
		return
	}
	js.MaxBytes = b.MaxBytes
	s.log.Info().Int64("max_bytes", b.MaxBytes).Int64("free_bytes", b.Free).Int64("stored_bytes", b.Stored).Str("dir", b.Dir).
		Float64("hours_at_1000_msgs", b.Hours(1000)).Float64("hours_at_10000_msgs", b.Hours(10000)).
		Msg("jetstream max_bytes derived from the free disk: " + b.String())
}
