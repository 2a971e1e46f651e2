package engine

import (
	"sync"

	"github.com/dop251/goja"
)

// maxCacheKeys bounds the engine's cache; cache.set of a new key beyond it
// throws, so the script (and its log) sees the problem.
const maxCacheKeys = 100_000

// jsCache is the engine-wide map behind cache.get/set/exists/delete. It
// holds Go copies, never JS values: primitives as exported Go values, objects
// and arrays as JSON text that get parses into a fresh value, so runtimes
// never share JS objects and a cached object changed by one message does not
// change the cache.
type jsCache struct {
	mu sync.RWMutex
	// m is guarded by mu.
	m map[string]cacheEntry
}

type cacheEntry struct {
	v         any // string, int64, float64, bool, nil (null)
	json      string
	isJSON    bool
	undefined bool
}

func newCache() *jsCache { return &jsCache{m: make(map[string]cacheEntry)} }

func (c *jsCache) get(k string) (cacheEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	return e, ok
}

func (c *jsCache) set(k string, e cacheEntry) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= maxCacheKeys {
		return false
	}
	c.m[k] = e
	return true
}

func (c *jsCache) delete(k string) bool {
	c.mu.Lock()
	_, ok := c.m[k]
	delete(c.m, k)
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
			if !ec.set(k, e) {
				panic(rt.vm.NewTypeError("cache.set: cache is full (100000 keys)"))
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
