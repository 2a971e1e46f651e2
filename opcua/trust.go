package opcua

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUntrusted means the server's certificate is not in the trust list.
// The certificate was written to the rejected folder; the error message
// says how to trust it.
var ErrUntrusted = errors.New("server certificate not trusted")

// UntrustedError describes a refused server certificate.
type UntrustedError struct {
	Endpoint   string
	Thumbprint string
	Subject    string
	// Rejected is the file the certificate was written to; Trusted is the
	// folder to move it to.
	Rejected string
	Trusted  string
}

// Error names the certificate and the command that trusts it.
func (e *UntrustedError) Error() string {
	return fmt.Sprintf("server certificate of %s not trusted (thumbprint %s, subject %q); to trust it: mv %s %s/",
		e.Endpoint, e.Thumbprint, e.Subject, e.Rejected, e.Trusted)
}

// Unwrap returns ErrUntrusted.
func (e *UntrustedError) Unwrap() error { return ErrUntrusted }

// trustStore is the server-certificate trust list in <StateDir>/pki. It is
// read from disk on every check, so a certificate moved into trusted/ is
// honoured on the next connection attempt without a restart.
type trustStore struct {
	trusted  string
	rejected string
}

func newTrustStore(stateDir string) trustStore {
	return trustStore{
		trusted:  filepath.Join(stateDir, "pki", "trusted"),
		rejected: filepath.Join(stateDir, "pki", "rejected"),
	}
}

// check returns nil when the leaf of serverCert (DER, possibly a chain) is
// in trusted/ or was signed by a CA certificate in trusted/. Otherwise it
// writes the leaf to rejected/<thumbprint>.der and returns an
// *UntrustedError. Trust is by certificate, not by time: an expired
// certificate that is trusted is accepted, as PLCs often have wrong clocks.
func (t trustStore) check(endpoint string, serverCert []byte) error {
	certs, err := x509.ParseCertificates(serverCert)
	if err != nil || len(certs) == 0 {
		return fmt.Errorf("server certificate of %s: unparseable: %w", endpoint, errors.Join(err, ErrUntrusted))
	}
	leaf := certs[0]
	tp := thumbprint(leaf.Raw)

	if err := os.MkdirAll(t.trusted, 0o700); err != nil {
		return fmt.Errorf("trust list %s: %w", t.trusted, err)
	}
	trusted, err := t.load()
	if err != nil {
		return err
	}
	for _, c := range trusted {
		if thumbprint(c.Raw) == tp {
			return nil
		}
		if c.IsCA && leaf.CheckSignatureFrom(c) == nil {
			return nil
		}
	}

	if err := os.MkdirAll(t.rejected, 0o700); err != nil {
		return fmt.Errorf("trust list %s: %w", t.rejected, err)
	}
	rejected := filepath.Join(t.rejected, tp+".der")
	if err := writeFileAtomic(rejected, leaf.Raw, 0o644); err != nil {
		return fmt.Errorf("trust list: write %s: %w", rejected, err)
	}
	return &UntrustedError{
		Endpoint:   endpoint,
		Thumbprint: tp,
		Subject:    leaf.Subject.String(),
		Rejected:   rejected,
		Trusted:    t.trusted,
	}
}

// load reads every certificate in trusted/ (DER or PEM, any file name).
// Unreadable files are skipped: one bad file must not untrust the rest.
func (t trustStore) load() ([]*x509.Certificate, error) {
	entries, err := os.ReadDir(t.trusted)
	if err != nil {
		return nil, fmt.Errorf("trust list %s: %w", t.trusted, err)
	}
	var out []*x509.Certificate
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(t.trusted, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, parseCerts(b)...)
	}
	return out, nil
}

// parseCerts parses DER or PEM certificates.
func parseCerts(b []byte) []*x509.Certificate {
	if certs, err := x509.ParseCertificates(b); err == nil {
		return certs
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return out
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, c)
		}
	}
}
