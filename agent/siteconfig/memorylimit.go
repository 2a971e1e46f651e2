package siteconfig

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// minMemoryLimit is the smallest memory_limit accepted: below it the
// garbage collector would run nearly all the time.
const minMemoryLimit = 32 << 20

// MemoryLimitAuto is Config.MemoryLimit for memory_limit: auto (the
// default): the soft limit is derived from the live heap (the agent's
// memory governor follows it).
const MemoryLimitAuto = -1

// memoryLimitSetting is memory_limit in the site file: a size, 0 (none) or
// auto (MemoryLimitAuto).
type memoryLimitSetting int64

func (m *memoryLimitSetting) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a size or auto")
	if !ok {
		return
	}
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		*m = MemoryLimitAuto
		return
	}
	v, ok := parseByteSize(s)
	if !ok || v < 0 {
		d.errorf(n, path, "must be auto, 0 (no limit) or a size in bytes such as 200MiB, got %q", s)
		return
	}
	*m = memoryLimitSetting(v)
}
