package engine

// headerSet is the selection of meta keys published as headers
// (Config.Headers).
type headerSet struct {
	all  bool
	keys map[string]struct{}
}

func newHeaderSet(keys []string) headerSet {
	if keys == nil {
		return headerSet{all: true}
	}
	hs := headerSet{keys: make(map[string]struct{}, len(keys))}
	for _, k := range keys {
		hs.keys[k] = struct{}{}
	}
	return hs
}

// has reports whether meta key k is published as a header.
func (hs *headerSet) has(k string) bool {
	if hs.all {
		return true
	}
	_, ok := hs.keys[k]
	return ok
}
