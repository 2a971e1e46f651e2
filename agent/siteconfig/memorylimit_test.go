package siteconfig

import "testing"

func TestMemoryLimitValidation(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(minimal+"memory_limit: 200MiB\n"), "site.yaml", noEnv)
	if err != nil || cfg.MemoryLimit != 200<<20 {
		t.Fatalf("200MiB: %v, %+v", err, cfg)
	}
	_, err = Parse([]byte(minimal+"memory_limit: 1MiB\n"), "site.yaml", noEnv)
	checkErrors(t, err, []want{{"6:15", "memory_limit", "below the smallest useful limit"}})
	for _, v := range []string{"auto", "AUTO"} {
		cfg, err = Parse([]byte(minimal+"memory_limit: "+v+"\n"), "site.yaml", noEnv)
		if err != nil || cfg.MemoryLimit != MemoryLimitAuto {
			t.Fatalf("%s: %v, %+v", v, err, cfg)
		}
	}
	cfg, err = Parse([]byte(minimal), "site.yaml", noEnv)
	if err != nil || cfg.MemoryLimit != MemoryLimitAuto {
		t.Fatalf("default: %v, %d", err, cfg.MemoryLimit)
	}
	cfg, err = Parse([]byte(minimal+"memory_limit: 0\n"), "site.yaml", noEnv)
	if err != nil || cfg.MemoryLimit != 0 {
		t.Fatalf("0: %v, %d", err, cfg.MemoryLimit)
	}
	_, err = Parse([]byte(minimal+"memory_limit: lots\n"), "site.yaml", noEnv)
	checkErrors(t, err, []want{{"6:15", "memory_limit", "must be auto, 0 (no limit) or a size"}})
	_, err = Parse([]byte(minimal+"memory_limit: -5MiB\n"), "site.yaml", noEnv)
	checkErrors(t, err, []want{{"6:15", "memory_limit", "must be auto, 0 (no limit) or a size"}})
}
