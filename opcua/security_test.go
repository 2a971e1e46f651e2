package opcua

import (
	"errors"
	"testing"

	"github.com/gopcua/opcua/ua"
)

func endpoint(policy string, mode ua.MessageSecurityMode, tokens ...ua.UserTokenType) *ua.EndpointDescription {
	ep := &ua.EndpointDescription{
		EndpointURL:       "opc.tcp://plc-internal:4840/UA/Server",
		SecurityPolicyURI: policyURIs[policy],
		SecurityMode:      mode,
	}
	for _, tt := range tokens {
		ep.UserIdentityTokens = append(ep.UserIdentityTokens, &ua.UserTokenPolicy{TokenType: tt})
	}
	return ep
}

func TestSelectEndpoint(t *testing.T) {
	anon, user := ua.UserTokenTypeAnonymous, ua.UserTokenTypeUserName
	none := ua.MessageSecurityModeNone
	sign := ua.MessageSecurityModeSign
	enc := ua.MessageSecurityModeSignAndEncrypt
	all := []*ua.EndpointDescription{
		endpoint("None", none, anon),
		endpoint("Basic128Rsa15", enc, anon, user),
		endpoint("Basic256", enc, anon, user),
		endpoint("Basic256Sha256", sign, anon, user),
		endpoint("Basic256Sha256", enc, anon, user),
		endpoint("Aes128_Sha256_RsaOaep", enc, anon, user),
		endpoint("Aes256_Sha256_RsaPss", sign, anon, user),
		endpoint("Aes256_Sha256_RsaPss", enc, anon),
	}
	tests := []struct {
		name       string
		eps        []*ua.EndpointDescription
		sec        Security
		token      ua.UserTokenType
		wantPolicy string
		wantMode   ua.MessageSecurityMode
		wantErr    bool
	}{
		{name: "auto picks the strongest", eps: all, sec: Security{"auto", "auto"}, token: anon,
			wantPolicy: "Aes256_Sha256_RsaPss", wantMode: enc},
		{name: "auto skips endpoints without the identity", eps: all, sec: Security{"auto", "auto"}, token: user,
			wantPolicy: "Aes128_Sha256_RsaOaep", wantMode: enc},
		{name: "mode sign prefers the strongest policy", eps: all, sec: Security{"auto", "Sign"}, token: anon,
			wantPolicy: "Aes256_Sha256_RsaPss", wantMode: sign},
		{name: "explicit pair", eps: all, sec: Security{"Basic256Sha256", "Sign"}, token: anon,
			wantPolicy: "Basic256Sha256", wantMode: sign},
		{name: "policy without mode prefers encrypt", eps: all, sec: Security{"Basic256Sha256", "auto"}, token: anon,
			wantPolicy: "Basic256Sha256", wantMode: enc},
		{name: "policy None implies mode None", eps: all, sec: Security{"None", "auto"}, token: anon,
			wantPolicy: "None", wantMode: none},
		{name: "mode None implies policy None", eps: all, sec: Security{"auto", "None"}, token: anon,
			wantPolicy: "None", wantMode: none},
		{name: "legacy only", eps: all[:3], sec: Security{"auto", "auto"}, token: anon,
			wantPolicy: "Basic256", wantMode: enc},
		{name: "no match", eps: all[:1], sec: Security{"Basic256Sha256", "SignAndEncrypt"}, token: anon, wantErr: true},
		{name: "no identity", eps: all[:1], sec: Security{"auto", "auto"}, token: user, wantErr: true},
		{name: "https endpoints ignored", eps: []*ua.EndpointDescription{{
			EndpointURL: "https://plc:443", SecurityPolicyURI: ua.SecurityPolicyURINone, SecurityMode: none,
			UserIdentityTokens: []*ua.UserTokenPolicy{{TokenType: anon}},
		}}, sec: Security{"auto", "auto"}, token: anon, wantErr: true},
		{name: "nothing offered", sec: Security{"auto", "auto"}, token: anon, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := selectEndpoint(tt.eps, tt.sec, tt.token)
			if tt.wantErr {
				if !errors.Is(err, ErrNoEndpoint) {
					t.Fatalf("got %v, want ErrNoEndpoint", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shortPolicy(ep.SecurityPolicyURI); got != tt.wantPolicy || ep.SecurityMode != tt.wantMode {
				t.Fatalf("got %s/%s, want %s/%s", got, ep.SecurityMode, tt.wantPolicy, tt.wantMode)
			}
		})
	}
}

func TestReplaceHost(t *testing.T) {
	tests := []struct {
		name, ep, configured, want string
	}{
		{"nat", "opc.tcp://plc-internal:4840/UA/Server", "opc.tcp://10.0.0.5:14840", "opc.tcp://10.0.0.5:14840/UA/Server"},
		{"no path", "opc.tcp://localhost:4840", "opc.tcp://gateway.example:4840", "opc.tcp://gateway.example:4840"},
		{"ipv6", "opc.tcp://[fe80::1]:4840/x", "opc.tcp://[::1]:4841", "opc.tcp://[::1]:4841/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceHost(tt.ep, tt.configured)
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTokenEncrypted(t *testing.T) {
	ep := endpoint("None", ua.MessageSecurityModeNone, ua.UserTokenTypeAnonymous)
	ep.UserIdentityTokens = append(ep.UserIdentityTokens,
		&ua.UserTokenPolicy{TokenType: ua.UserTokenTypeUserName, SecurityPolicyURI: ua.SecurityPolicyURIBasic256Sha256})
	if tokenEncrypted(ep, ua.UserTokenTypeAnonymous) {
		t.Error("anonymous token reported encrypted")
	}
	if !tokenEncrypted(ep, ua.UserTokenTypeUserName) {
		t.Error("password with Basic256Sha256 token policy not reported encrypted")
	}
	ep.UserIdentityTokens[1].SecurityPolicyURI = ""
	if tokenEncrypted(ep, ua.UserTokenTypeUserName) {
		t.Error("password in clear over None reported encrypted")
	}
}
