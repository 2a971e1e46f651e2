package opcua

import (
	"fmt"

	"github.com/gopcua/opcua/ua"
)

// rawBody is the value gopcua decodes the binary body of a registered
// structure encoding into: the body bytes, unchanged. gopcua v0.9.1 keeps
// no body of an ExtensionObject whose encoding id it does not know (its
// ExtensionObject.Decode sets Value to nil), but it decodes a registered one
// through the registered type's Decode method with exactly the body's bytes
// (ua.Buffer.ReadStruct of a BinaryDecoder). Registering rawBody for every
// encoding id whose definition a session loaded keeps those bodies without
// a fork; structdecode.go then decodes them from the definition.
// TestRawBodyKeptByGopcua pins that behaviour.
type rawBody struct {
	body []byte
}

// Decode keeps a copy of b, the whole body (gopcua hands the registered
// type a buffer holding exactly the body's length).
func (r *rawBody) Decode(b []byte) (int, error) {
	r.body = append([]byte(nil), b...)
	return len(b), nil
}

// Encode returns the body unchanged, so a kept body can be written back.
func (r *rawBody) Encode() ([]byte, error) {
	return r.body, nil
}

// registerRawEncoding makes gopcua keep the binary bodies of ExtensionObjects
// with encoding id enc as *rawBody. gopcua's registry is process-wide and
// keyed by the id's string form, so the same id of two servers shares the
// registration; that is harmless, as both keep the raw body and each session
// decodes it with its own definitions. An id gopcua already decodes itself
// (a namespace-0 type of its own) is not replaced: that returns an error,
// and such values keep being converted from gopcua's structs.
func registerRawEncoding(enc *ua.NodeID) (err error) {
	if enc == nil {
		return fmt.Errorf("no encoding id")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encoding %s: %v", FormatNodeID(enc), r)
		}
	}()
	ua.RegisterExtensionObject(enc, new(rawBody))
	return nil
}
