package opcua

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gopcua/opcua/ua"
)

// policyURIs maps the policy short names of the site file to their URIs.
var policyURIs = map[string]string{
	"None":                  ua.SecurityPolicyURINone,
	"Basic128Rsa15":         ua.SecurityPolicyURIBasic128Rsa15,
	"Basic256":              ua.SecurityPolicyURIBasic256,
	"Basic256Sha256":        ua.SecurityPolicyURIBasic256Sha256,
	"Aes128_Sha256_RsaOaep": ua.SecurityPolicyURIAes128Sha256RsaOaep,
	"Aes256_Sha256_RsaPss":  ua.SecurityPolicyURIAes256Sha256RsaPss,
}

// policyStrength ranks policy URIs for `auto`: higher is stronger.
var policyStrength = map[string]int{
	ua.SecurityPolicyURINone:                0,
	ua.SecurityPolicyURIBasic128Rsa15:       1,
	ua.SecurityPolicyURIBasic256:            2,
	ua.SecurityPolicyURIBasic256Sha256:      3,
	ua.SecurityPolicyURIAes128Sha256RsaOaep: 4,
	ua.SecurityPolicyURIAes256Sha256RsaPss:  5,
}

// modeStrength ranks message security modes for `auto`.
func modeStrength(m ua.MessageSecurityMode) int {
	switch m {
	case ua.MessageSecurityModeSignAndEncrypt:
		return 2
	case ua.MessageSecurityModeSign:
		return 1
	case ua.MessageSecurityModeNone:
		return 0
	}
	return -1
}

// ErrNoEndpoint means the server offers no endpoint matching the configured
// security policy, mode and identity.
var ErrNoEndpoint = errors.New("no matching endpoint")

// selectEndpoint picks the endpoint for sec and the identity token type:
// among the binary (opc.tcp) endpoints that gopcua supports, match the
// explicit policy and mode, and prefer the strongest mode, then the
// strongest policy (SignAndEncrypt > Sign > None; Aes256_Sha256_RsaPss >
// Aes128_Sha256_RsaOaep > Basic256Sha256 > Basic256 > Basic128Rsa15).
// Endpoints that do not accept the identity token type are skipped.
func selectEndpoint(eps []*ua.EndpointDescription, sec Security, token ua.UserTokenType) (*ua.EndpointDescription, error) {
	wantPolicy := ""
	if sec.Policy != "auto" && sec.Policy != "" {
		wantPolicy = policyURIs[sec.Policy]
	}
	wantMode := ua.MessageSecurityModeInvalid
	switch sec.Mode {
	case "None":
		wantMode = ua.MessageSecurityModeNone
	case "Sign":
		wantMode = ua.MessageSecurityModeSign
	case "SignAndEncrypt":
		wantMode = ua.MessageSecurityModeSignAndEncrypt
	}
	// An explicit None on one side implies None on the other.
	if wantPolicy == ua.SecurityPolicyURINone && wantMode == ua.MessageSecurityModeInvalid {
		wantMode = ua.MessageSecurityModeNone
	}
	if wantMode == ua.MessageSecurityModeNone && wantPolicy == "" {
		wantPolicy = ua.SecurityPolicyURINone
	}

	var best *ua.EndpointDescription
	var offered []string
	for _, ep := range eps {
		if ep == nil {
			continue
		}
		offered = append(offered, shortPolicy(ep.SecurityPolicyURI)+"/"+ep.SecurityMode.String())
		if !strings.HasPrefix(ep.EndpointURL, "opc.tcp://") {
			continue
		}
		if _, ok := policyStrength[ep.SecurityPolicyURI]; !ok {
			continue
		}
		if modeStrength(ep.SecurityMode) < 0 {
			continue
		}
		if wantPolicy != "" && ep.SecurityPolicyURI != wantPolicy {
			continue
		}
		if wantMode != ua.MessageSecurityModeInvalid && ep.SecurityMode != wantMode {
			continue
		}
		if !acceptsToken(ep, token) {
			continue
		}
		if best == nil || stronger(ep, best) {
			best = ep
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: want policy %s, mode %s, identity %s; server offers %s",
			ErrNoEndpoint, sec.Policy, sec.Mode, token, strings.Join(offered, ", "))
	}
	return best, nil
}

// stronger reports whether a ranks above b.
func stronger(a, b *ua.EndpointDescription) bool {
	if ma, mb := modeStrength(a.SecurityMode), modeStrength(b.SecurityMode); ma != mb {
		return ma > mb
	}
	if pa, pb := policyStrength[a.SecurityPolicyURI], policyStrength[b.SecurityPolicyURI]; pa != pb {
		return pa > pb
	}
	return a.SecurityLevel > b.SecurityLevel
}

// acceptsToken reports whether ep offers a user token policy of type t.
func acceptsToken(ep *ua.EndpointDescription, t ua.UserTokenType) bool {
	for _, p := range ep.UserIdentityTokens {
		if p != nil && p.TokenType == t {
			return true
		}
	}
	return false
}

// tokenEncrypted reports whether the user token of type t is encrypted or
// signed with the server certificate on ep (a password sent over a None
// channel with a secured user token policy).
func tokenEncrypted(ep *ua.EndpointDescription, t ua.UserTokenType) bool {
	if t == ua.UserTokenTypeAnonymous {
		return false
	}
	for _, p := range ep.UserIdentityTokens {
		if p == nil || p.TokenType != t {
			continue
		}
		uri := p.SecurityPolicyURI
		if uri == "" {
			uri = ep.SecurityPolicyURI
		}
		return uri != ua.SecurityPolicyURINone
	}
	return false
}

// shortPolicy returns the short name of a policy URI.
func shortPolicy(uri string) string {
	return strings.TrimPrefix(uri, ua.SecurityPolicyURIPrefix)
}

// replaceHost returns endpointURL (as returned by GetEndpoints) with its
// host and port replaced by those of configured, so servers behind NAT or
// advertising an internal hostname are reached at the address the user
// configured. The server's path is kept.
func replaceHost(endpointURL, configured string) (string, error) {
	u, err := url.Parse(endpointURL)
	if err != nil {
		return "", fmt.Errorf("endpoint url %q from server: %w", endpointURL, err)
	}
	c, err := url.Parse(configured)
	if err != nil {
		return "", fmt.Errorf("configured endpoint %q: %w", configured, err)
	}
	u.Host = c.Host
	return u.String(), nil
}
