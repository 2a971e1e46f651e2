package engine

import "time"

// Defaults for Config fields left zero.
const (
	DefaultSubjectPrefix = "umh.v1"
	DefaultTimeout       = 100 * time.Millisecond
)

// Snippet is one piece of user JavaScript and where it came from, so errors
// can point into the site file.
type Snippet struct {
	// Code is the JavaScript text: a function body for defaults, then and
	// advancedProcessing; an expression for if.
	Code string
	// File is the site file the snippet was read from ("" when not from a file).
	File string
	// Line is the 1-based line in File of the snippet's first code line
	// (0 when unknown). A snippet line n is reported as file line Line+n-1.
	Line int
}

// Condition is one entry of tag_processor.conditions.
type Condition struct {
	If   Snippet
	Then Snippet
}

// Config is the validated tag_processor block.
type Config struct {
	Defaults           Snippet
	Conditions         []Condition
	AdvancedProcessing Snippet
	// SubjectPrefix is prepended to every subject; "" means
	// DefaultSubjectPrefix. It may contain dots (umh.v1).
	SubjectPrefix string
	// Timeout is the deadline for all stages of one sample; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Runtimes bounds the pool of goja runtimes; 0 means runtime.GOMAXPROCS(0).
	Runtimes int
	// MaxPayloadBytes bounds the encoded size of a published payload;
	// 0 means DefaultMaxPayloadBytes, and HardMaxPayloadBytes is the most
	// allowed. A larger payload fails its message (reason limit).
	MaxPayloadBytes int
	// CacheMaxBytes bounds the bytes the cache holds (keys and values);
	// 0 means DefaultCacheMaxBytes.
	CacheMaxBytes int64
	// Headers selects the meta keys a message carries as headers: nil
	// means every key of the final meta, otherwise only the keys listed
	// (none for an empty list). The payload and subject do not depend on
	// it.
	Headers []string
	// BadStatus is what happens to a sample whose OPC UA status is Bad:
	// BadStatusDrop ("" means it too) or BadStatusKeep (see badstatus.go).
	BadStatus string
	// NoShortcuts runs every stage in JavaScript: no stage-effect cache
	// (stagecache.go, cacheable.go), no payload arithmetic in Go
	// (payloadexpr.go), no threshold test in Go (payloadcmp.go). The
	// messages are the same either way, only slower; it is the reference
	// the shortcuts are tested against and a switch for operators.
	NoShortcuts bool
	// StatusName names a status code for msg.meta.opcua_status_code and
	// the log (opcua.StatusName: BadTimeout, ...); status 0 is always
	// "Good". nil names every other status by its hex form (0x80AB0000).
	StatusName func(code uint32) string
}
