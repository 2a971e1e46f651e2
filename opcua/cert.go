package opcua

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/edgetag/edgetag/internal/appcert"
)

// The client's PKI lives in <StateDir>/pki:
//
//	pki/own/cert.der   the client's application instance certificate (DER)
//	pki/own/key.pem    its RSA private key (PKCS#1 PEM, mode 0600)
//	pki/trusted/       server certificates (DER or PEM) and CAs trusted
//	pki/rejected/      server certificates that were refused, named
//	                   <thumbprint>.der; move one to trusted/ to trust it
const (
	ownCertFile = "cert.der"
	ownKeyFile  = "key.pem"
)

// clientCertValidity is how long a generated client certificate is valid,
// counted from January 1 of the year it was made.
const clientCertValidity = 20 * 365 * 24 * time.Hour

// clientCert is the client's application instance certificate.
type clientCert struct {
	DER []byte
	Key *rsa.PrivateKey
	// URI is the certificate's URI SAN; it is the client's ApplicationURI.
	URI        string
	Thumbprint string
	Path       string
}

// certMu serializes creation of the client certificate by the sources of
// one process, which share the state directory.
var certMu sync.Mutex

// applicationURI is the URI a new client certificate carries:
// urn:edgetag:<hostname>:<site>.
func applicationURI(site string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return "urn:edgetag:" + host + ":" + site
}

// loadOrCreateClientCert returns the client certificate in stateDir,
// generating it (RSA 2048, URI SAN uri) when it does not exist yet. An
// existing certificate is reused whatever its URI, and its URI becomes the
// ApplicationURI, so a server that trusted it keeps trusting it. created
// reports whether a new certificate was written.
func loadOrCreateClientCert(stateDir, uri string) (c *clientCert, created bool, err error) {
	certMu.Lock()
	defer certMu.Unlock()

	dir := filepath.Join(stateDir, "pki", "own")
	certPath := filepath.Join(dir, ownCertFile)
	keyPath := filepath.Join(dir, ownKeyFile)

	c, err = loadClientCert(certPath, keyPath)
	if err == nil {
		return c, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("client certificate: create %s: %w", dir, err)
	}
	der, key, err := newClientCert(uri, time.Now())
	if err != nil {
		return nil, false, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, false, fmt.Errorf("client certificate: write key %s: %w", keyPath, err)
	}
	if err := writeFileAtomic(certPath, der, 0o644); err != nil {
		return nil, false, fmt.Errorf("client certificate: write %s: %w", certPath, err)
	}
	c, err = loadClientCert(certPath, keyPath)
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// loadClientCert reads and checks the certificate and key pair. It returns
// an error wrapping os.ErrNotExist when either file is missing.
func loadClientCert(certPath, keyPath string) (*clientCert, error) {
	der, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("client certificate %s: %w", certPath, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("client certificate key %s: %w", keyPath, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("client certificate %s: %w", certPath, err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("client certificate key %s: no PEM block", keyPath)
	}
	key, err := parseRSAKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("client certificate key %s: %w", keyPath, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("client certificate %s: does not match key %s", certPath, keyPath)
	}
	if len(cert.URIs) == 0 {
		return nil, fmt.Errorf("client certificate %s: no URI subject alternative name", certPath)
	}
	return &clientCert{
		DER:        der,
		Key:        key,
		URI:        cert.URIs[0].String(),
		Thumbprint: thumbprint(der),
		Path:       certPath,
	}, nil
}

// parseRSAKey parses a PKCS#1 or PKCS#8 RSA private key.
func parseRSAKey(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse rsa key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want rsa", k)
	}
	return rk, nil
}

// newClientCert makes a self-signed application instance certificate as
// OPC UA Part 6 §6.2.2 describes it and Ignition, Eclipse Milo, node-opcua,
// Kepware and Siemens accept it: RSA 2048, SHA-256, the application URI as
// URI SAN plus the hostname as DNS SAN, key usages digitalSignature,
// nonRepudiation, keyEncipherment, dataEncipherment and keyCertSign (self-
// signed; the CA flag stays false, OPC Foundation Mantis 8370), extended
// key usages serverAuth and clientAuth, subject and authority key ids, valid from
// January 1 of the current year (to survive PLC clock skew) for 20 years.
func newClientCert(uri string, now time.Time) ([]byte, *rsa.PrivateKey, error) {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	notBefore := appcert.YearStart(now)
	der, key, err := appcert.New(appcert.Spec{
		URI:        uri,
		CommonName: "edgetag@" + host,
		DNSNames:   []string{host},
		NotBefore:  notBefore,
		NotAfter:   notBefore.Add(clientCertValidity),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("client certificate: %w", err)
	}
	return der, key, nil
}

// thumbprint is the OPC UA thumbprint of a DER certificate: the SHA-1 of
// its leaf, in lower-case hex.
func thumbprint(der []byte) string {
	if certs, err := x509.ParseCertificates(der); err == nil && len(certs) > 0 {
		der = certs[0].Raw
	}
	sum := sha1.Sum(der)
	return hex.EncodeToString(sum[:])
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place, so a crash never leaves a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, perm)); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
