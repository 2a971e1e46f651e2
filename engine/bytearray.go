package engine

import "github.com/edgetag/edgetag/tag"

// byteArray is an OPC UA array of Byte. A source reports it as a []byte,
// the same Go type as a ByteString, and tells the two apart only by the
// node's data type "Byte"; as a byteArray it is encoded (and seen by JS) as
// an array of numbers, not as a base64 string.
type byteArray []byte

// sampleValue returns the value of s as the codec should treat it: an array
// of Byte (a []byte on a node whose data type is Byte) becomes a byteArray,
// every other value is returned as it is. The engine passes the result to
// toJS and appendPayload.
func sampleValue(s *tag.Sample) any {
	if b, ok := s.Value.([]byte); ok && s.Node != nil && s.Node.DataType == "Byte" {
		return byteArray(b)
	}
	return s.Value
}
