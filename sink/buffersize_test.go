package sink

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBufferFromDiskTmpfs derives the stream size on filesystems of known
// size: half of a 512 MiB tmpfs, the floor on a 100 MiB one, whose half is
// below it, and three quarters of a 64 MiB one, where the floor would be
// more than nats-server lets JetStream use.
func TestBufferFromDiskTmpfs(t *testing.T) {
	for _, tt := range []struct {
		name     string
		size     int64
		min, max int64
	}{
		{name: "half of the free space", size: 512 << 20, min: 255 << 20, max: 256 << 20},
		{name: "floor", size: 100 << 20, min: MinDiskMaxBytes, max: MinDiskMaxBytes},
		{name: "floor above what nats-server allows", size: 64 << 20, min: 46 << 20, max: 47 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tmpfs(t, int(tt.size))
			b, err := BufferFromDisk(filepath.Join(dir, "jetstream"))
			if err != nil {
				t.Fatal(err)
			}
			if b.Dir != dir || b.Stored != 0 || b.Free > tt.size || b.Free < tt.size-1<<20 {
				t.Errorf("measured %+v, want dir %s, nothing stored, about %d free", b, dir, tt.size)
			}
			if b.MaxBytes < tt.min || b.MaxBytes > tt.max {
				t.Errorf("max_bytes %d, want %d to %d", b.MaxBytes, tt.min, tt.max)
			}
		})
	}
}

// TestBufferFromDiskCountsStored: what the store directory already holds
// counts as space the stream may use, so a restart with a full buffer
// derives the same size as the start that filled it.
func TestBufferFromDiskCountsStored(t *testing.T) {
	dir := tmpfs(t, 512<<20)
	store := filepath.Join(dir, "jetstream")
	before, err := BufferFromDisk(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(store, "streams"), 0o755); err != nil {
		t.Fatal(err)
	}
	const blk = 100 << 20
	if err := os.WriteFile(filepath.Join(store, "streams", "1.blk"), make([]byte, blk), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := BufferFromDisk(store)
	if err != nil {
		t.Fatal(err)
	}
	if after.Dir != store || after.Stored != blk || after.Free > before.Free-blk {
		t.Errorf("after writing %d bytes: %+v (before %+v)", blk, after, before)
	}
	if d := after.MaxBytes - before.MaxBytes; d < -(1<<20) || d > 1<<20 {
		t.Errorf("max_bytes changed from %d to %d with the store's own bytes", before.MaxBytes, after.MaxBytes)
	}
}

// TestBufferFromDiskAnyFilesystem measures the test's own temporary
// directory (no root needed): the size is within its bounds and, unless a
// bound applies, half of free plus stored.
func TestBufferFromDiskAnyFilesystem(t *testing.T) {
	b, err := BufferFromDisk(filepath.Join(t.TempDir(), "not", "yet"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Free <= 0 || b.MaxBytes < MinDiskMaxBytes || b.MaxBytes > MaxDiskMaxBytes {
		t.Fatalf("%+v", b)
	}
	if half := (b.Free + b.Stored) / 2; half > MinDiskMaxBytes && half < MaxDiskMaxBytes && b.MaxBytes != half {
		t.Errorf("max_bytes %d, want half of %d free + %d stored", b.MaxBytes, b.Free, b.Stored)
	}
	if _, err := BufferFromDisk("\x00"); err == nil {
		t.Error("no error for a path statfs refuses")
	}
}

// TestStreamSizedFromDisk: a sink with max_bytes left to the disk creates
// its stream with the derived size; a configured size is kept. Start reads
// the stream once, so its stats show the size.
func TestStreamSizedFromDisk(t *testing.T) {
	dir := tmpfs(t, 512<<20)
	c := embeddedConfig(t, true)
	c.Embedded.StoreDir = filepath.Join(dir, "jetstream")
	s := startSink(t, c)
	if got := s.Stats().Stream.MaxBytes; got < 255<<20 || got > 256<<20 {
		t.Errorf("stream max_bytes %d, want half of the 512 MiB filesystem", got)
	}

	// A disk too small for the floor: the stream still fits the limit
	// nats-server derives from the same disk.
	small := tmpfs(t, 64<<20)
	c = embeddedConfig(t, true)
	c.Embedded.StoreDir = filepath.Join(small, "jetstream")
	s = startSink(t, c)
	if got := s.Stats().Stream.MaxBytes; got < 46<<20 || got >= MinDiskMaxBytes {
		t.Errorf("stream max_bytes %d on a 64 MiB filesystem, want about 3/4 of it", got)
	}

	c = embeddedConfig(t, true)
	c.JetStream.MaxBytes = 100 << 20
	s = startSink(t, c)
	if got := s.Stats().Stream.MaxBytes; got != 100<<20 {
		t.Errorf("stream max_bytes %d, want the configured %d", got, 100<<20)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 1023: "1023B", 1536: "1.5KiB", 64 << 20: "64.0MiB", 3 << 40: "3.0TiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
