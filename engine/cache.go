package engine

import (
	"errors"
	"sync"

	"github.com/dop251/goja"
)

// maxCacheKeys bounds the engine's cache; cache.set of a new key beyond it
// throws, so the script (and its log) sees the problem.
const maxCacheKeys = 100_000

// DefaultCacheMaxBytes is the cache's byte budget when Config.CacheMaxBytes
// is 0. A cache.set that would pass the budget throws a *LimitError (limit
// cache_bytes), which fails the message unless the script catches it.
const DefaultCacheMaxBytes = 64 << 20

// cacheEntryOverhead is what one entry is counted for besides its key and
// value bytes (map slot, entry struct, string headers).
const cacheEntryOverhead = 64

// jsCache is the engine-wide map behind cache.get/set/exists/delete. It
// holds Go copies, never JS values: primitives as exported Go values, objects
// and arrays as JSON text that get parses into a fresh value, so runtimes
// never share JS objects and a cached object changed by one message does not
// change the cache.
//
// Writes take effect at once and stay when the message that made them
// fails later (a throw, a timeout, a limit): the cache is shared by every
// runtime, and undoing a failed message's writes would need a journal per
// message on the hot path; scripts that must not leave a half-done update
// behind write last.
type jsCache struct {
	mu sync.RWMutex
	// m and bytes (keys, values and cacheEntryOverhead per entry) are
	// guarded by mu.
	m     map[string]cacheEntry
	bytes int64
	max   int64
}

type cacheEntry struct {
	v         any // string, int64, float64, bool, nil (null)
	json      string
	isJSON    bool
	undefined bool
}

// newCache returns a cache holding at most max bytes.
func newCache(max int64) *jsCache { return &jsCache{m: make(map[string]cacheEntry), max: max} }

// size is what an entry under key k counts against the budget.
func (e cacheEntry) size(k string) int64 {
	n := int64(len(k) + len(e.json) + cacheEntryOverhead)
	if s, ok := e.v.(string); ok {
		n += int64(len(s))
	}
	return n
}

func (c *jsCache) get(k string) (cacheEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	return e, ok
}

// set stores e under k. It refuses (and changes nothing) a new key beyond
// maxCacheKeys (errCacheFull) or a write that would take the cache past
// its byte budget (a *LimitError).
func (c *jsCache) set(k string, e cacheEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.m[k]
	if !ok && len(c.m) >= maxCacheKeys {
		return errCacheFull
	}
	n := c.bytes + e.size(k)
	if ok {
		n -= old.size(k)
	}
	if n > c.max {
		return &LimitError{Limit: LimitCacheBytes, Max: c.max, Got: n}
	}
	c.m[k] = e
	c.bytes = n
	return nil
}

// errCacheFull is returned by set for a new key beyond maxCacheKeys.
var errCacheFull = errors.New("cache.set: cache is full (100000 keys)")

func (c *jsCache) delete(k string) bool {
	c.mu.Lock()
	old, ok := c.m[k]
	if ok {
		c.bytes -= old.size(k)
		delete(c.m, k)
	}
	c.mu.Unlock()
	return ok
}

// installCache installs the cache object on the runtime.
func (rt *jsRuntime) installCache() error {
	c := rt.vm.NewObject()
	ec := rt.e.cache
	key := func(call goja.FunctionCall) string { return call.Argument(0).String() }
	fns := map[string]func(goja.FunctionCall) goja.Value{
		"get": func(call goja.FunctionCall) goja.Value {
			e, ok := ec.get(key(call))
			if !ok || e.undefined {
				return goja.Undefined()
			}
			if e.isJSON {
				v, err := rt.parse(goja.Undefined(), rt.vm.ToValue(e.json))
				if err != nil {
					panic(rt.vm.NewGoError(err))
				}
				return v
			}
			return rt.vm.ToValue(e.v)
		},
		"set": func(call goja.FunctionCall) goja.Value {
			k := key(call)
			v := call.Argument(1)
			var e cacheEntry
			switch {
			case goja.IsUndefined(v):
				e.undefined = true
			case goja.IsNull(v):
			default:
				if o, ok := v.(*goja.Object); ok {
					if _, isFn := goja.AssertFunction(o); isFn {
						panic(rt.vm.NewTypeError("cache.set: cannot store a function"))
					}
					j, err := rt.stringify(goja.Undefined(), o)
					if err != nil {
						panic(err)
					}
					e.json, e.isJSON = j.String(), true
				} else if isSymbol(v) {
					panic(rt.vm.NewTypeError("cache.set: cannot store a symbol"))
				} else {
					e.v = v.Export()
				}
			}
			if err := ec.set(k, e); err != nil {
				if _, ok := asLimit(err); ok {
					panic(rt.vm.NewGoError(err))
				}
				panic(rt.vm.NewTypeError(err.Error()))
			}
			return goja.Undefined()
		},
		"exists": func(call goja.FunctionCall) goja.Value {
			_, ok := ec.get(key(call))
			return rt.vm.ToValue(ok)
		},
		"delete": func(call goja.FunctionCall) goja.Value {
			return rt.vm.ToValue(ec.delete(key(call)))
		},
	}
	for name, f := range fns {
		if err := c.Set(name, f); err != nil {
			return err
		}
	}
	return rt.vm.Set("cache", c)
}

func isSymbol(v goja.Value) bool {
	_, ok := v.(*goja.Symbol)
	return ok
}
