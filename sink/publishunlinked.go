//go:build edgetag_nolinkname

package sink

// linkedPublish is left out of this build (tag edgetag_nolinkname): every
// message goes through nats.go's exported PublishMsg (see choosePublish).
var linkedPublish publishFunc
