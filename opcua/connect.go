package opcua

import (
	"context"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"os"
	"sync"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
	"github.com/rs/zerolog"
)

// certLogged holds the thumbprints of client certificates already logged at
// info level by this process: the certificate is announced once, not on
// every reconnect.
var certLogged sync.Map

// FatalError marks a problem that retrying cannot fix (an unreadable client
// certificate or key, an invalid configuration). Source.Run returns it.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Connect opens one session to cfg.Endpoint with the configured security,
// identity, client certificate (created in StateDir on first use) and trust
// list. The caller closes the client. Used by Source and by `edgetag browse`.
//
// Steps: GetEndpoints; pick the endpoint (explicit policy/mode, or the
// strongest offered for auto); check the server certificate against the
// trust list; replace the host in the endpoint URL with the configured one;
// open the secure channel and activate the session. gopcua's own
// auto-reconnect is off: the caller owns reconnection.
//
// Trust is enforced whenever the server certificate is used: for Sign and
// SignAndEncrypt, and for policy None when a password or user certificate is
// encrypted or signed with the server certificate. With policy None and an
// anonymous identity there is no secure channel and nothing to trust.
//
// Errors wrap ErrNoEndpoint, ErrUntrusted (*UntrustedError), the OPC UA
// status (e.g. ua.StatusBadUserAccessDenied for a wrong password) or
// *FatalError for unreadable certificate files.
func Connect(ctx context.Context, cfg Config, log zerolog.Logger) (*gopcua.Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(false); err != nil {
		return nil, &FatalError{Err: err}
	}
	opts, endpointURL, err := clientOptions(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	c, err := gopcua.NewClient(endpointURL, opts...)
	if err != nil {
		return nil, &FatalError{Err: fmt.Errorf("opcua client for %s: %w", endpointURL, err)}
	}
	// Dial, CreateSession, ActivateSession and the NamespaceArray read each
	// have RequestTimeout; the whole is bounded so a dead server cannot hang.
	cctx, cancel := context.WithTimeout(ctx, 3*cfg.RequestTimeout)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		closeClient(c, cfg.RequestTimeout)
		return nil, fmt.Errorf("connect %s: %w", endpointURL, err)
	}
	return c, nil
}

// clientOptions discovers and selects the endpoint and returns the gopcua
// options and the URL to dial.
func clientOptions(ctx context.Context, cfg Config, log zerolog.Logger) ([]gopcua.Option, string, error) {
	site := cfg.Site
	if site == "" {
		site = cfg.Name
	}
	if site == "" {
		site = "edgetag"
	}
	own, created, err := loadOrCreateClientCert(cfg.StateDir, applicationURI(site))
	if err != nil {
		return nil, "", &FatalError{Err: err}
	}
	ev := log.Debug()
	if _, seen := certLogged.LoadOrStore(own.Thumbprint, true); !seen {
		ev = log.Info()
	}
	ev.Str("thumbprint", own.Thumbprint).Str("path", own.Path).Str("application_uri", own.URI).
		Bool("created", created).Msg("client certificate: trust it on the server to allow secure connections")

	gctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	eps, err := gopcua.GetEndpoints(gctx, cfg.Endpoint, gopcua.RequestTimeout(cfg.RequestTimeout))
	if err != nil {
		return nil, "", fmt.Errorf("get endpoints of %s: %w", cfg.Endpoint, err)
	}

	token := ua.UserTokenTypeAnonymous
	var authOpts []gopcua.Option
	switch {
	case cfg.Auth.Username != "":
		token = ua.UserTokenTypeUserName
		authOpts = append(authOpts, gopcua.AuthUsername(cfg.Auth.Username, cfg.Auth.Password))
	case cfg.Auth.Certificate != "":
		token = ua.UserTokenTypeCertificate
		der, err := readCertFile(cfg.Auth.Certificate)
		if err != nil {
			return nil, "", &FatalError{Err: fmt.Errorf("user certificate: %w", err)}
		}
		key, err := readKeyFile(cfg.Auth.Key)
		if err != nil {
			return nil, "", &FatalError{Err: fmt.Errorf("user certificate key: %w", err)}
		}
		authOpts = append(authOpts, gopcua.AuthCertificate(der), gopcua.AuthPrivateKey(key))
	default:
		authOpts = append(authOpts, gopcua.AuthAnonymous())
	}

	ep, err := selectEndpoint(eps, cfg.Security, token)
	if err != nil {
		return nil, "", fmt.Errorf("select endpoint of %s: %w", cfg.Endpoint, err)
	}

	if ep.SecurityMode != ua.MessageSecurityModeNone || tokenEncrypted(ep, token) {
		if cfg.Trust.AcceptAny {
			log.Warn().Str("endpoint", cfg.Endpoint).Str("thumbprint", thumbprint(ep.ServerCertificate)).
				Msg("TRUST DISABLED: accepting any server certificate (trust.accept_any); the connection can be intercepted")
		} else if err := newTrustStore(cfg.StateDir).check(cfg.Endpoint, ep.ServerCertificate); err != nil {
			return nil, "", err
		}
	}

	if token == ua.UserTokenTypeUserName && ep.SecurityMode == ua.MessageSecurityModeNone && !tokenEncrypted(ep, token) {
		log.Warn().Str("endpoint", cfg.Endpoint).Msg("the server accepts the password in clear text on this endpoint; use a Sign or SignAndEncrypt endpoint")
	}

	endpointURL, err := replaceHost(ep.EndpointURL, cfg.Endpoint)
	if err != nil {
		return nil, "", err
	}
	log.Debug().Str("endpoint", endpointURL).Str("policy", shortPolicy(ep.SecurityPolicyURI)).
		Str("mode", ep.SecurityMode.String()).Str("identity", token.String()).Msg("endpoint selected")

	sessionTimeout := 6 * cfg.Heartbeat
	if sessionTimeout < 30*time.Second {
		sessionTimeout = 30 * time.Second
	}
	opts := []gopcua.Option{
		gopcua.AutoReconnect(false),
		gopcua.SecurityPolicy(ep.SecurityPolicyURI),
		gopcua.SecurityMode(ep.SecurityMode),
		gopcua.Certificate(own.DER),
		gopcua.PrivateKey(own.Key),
		gopcua.ApplicationURI(own.URI),
		gopcua.ApplicationName("edgetag"),
		gopcua.ProductURI("urn:edgetag"),
		gopcua.SessionName("edgetag " + site),
		gopcua.RequestTimeout(cfg.RequestTimeout),
		gopcua.DialTimeout(cfg.RequestTimeout),
		gopcua.SessionTimeout(sessionTimeout),
	}
	opts = append(opts, authOpts...)
	opts = append(opts, gopcua.SecurityFromEndpoint(ep, token))
	return opts, endpointURL, nil
}

// closeClient closes c's session and secure channel within timeout. It is
// safe to call on a client whose connection is already dead.
func closeClient(c *gopcua.Client, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = c.Close(ctx)
}

// readCertFile reads a DER or PEM certificate.
func readCertFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(b); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: pem block %q, want CERTIFICATE", path, block.Type)
		}
		return block.Bytes, nil
	}
	if len(parseCerts(b)) == 0 {
		return nil, fmt.Errorf("%s: not a certificate", path)
	}
	return b, nil
}

// readKeyFile reads a PEM or DER RSA private key.
func readKeyFile(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der := b
	if block, _ := pem.Decode(b); block != nil {
		der = block.Bytes
	}
	k, err := parseRSAKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
