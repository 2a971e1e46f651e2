// Package appcert makes self-signed OPC UA application instance
// certificates, for the client (opcua) and the built-in simulator
// (opcua/sim) alike.
package appcert

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// Spec is what a certificate says about its application.
type Spec struct {
	// URI is the application URI, the certificate's URI SAN.
	URI        string
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	// NotBefore and NotAfter bound the validity.
	NotBefore, NotAfter time.Time
}

// YearStart is January 1 (UTC) of t's year: certificates start there, so
// that a PLC whose clock is behind by some months still accepts them.
func YearStart(t time.Time) time.Time {
	return time.Date(t.UTC().Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
}

// New makes a self-signed RSA 2048 certificate (DER) for s and its key,
// with key usages digitalSignature, nonRepudiation, keyEncipherment,
// dataEncipherment and keyCertSign (self-signed; the CA flag stays false,
// OPC Foundation Mantis 8370), extended key usages serverAuth and
// clientAuth, subject and authority key ids, and organization edgetag.
func New(s Spec) ([]byte, *rsa.PrivateKey, error) {
	u, err := url.Parse(s.URI)
	if err != nil {
		return nil, nil, fmt.Errorf("application uri %q: %w", s.URI, err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("serial: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("public key: %w", err)
	}
	ski := sha1.Sum(pubDER)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: s.CommonName, Organization: []string{"edgetag"}},
		NotBefore:    s.NotBefore,
		NotAfter:     s.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment |
			x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski[:],
		AuthorityKeyId:        ski[:],
		URIs:                  []*url.URL{u},
		DNSNames:              s.DNSNames,
		IPAddresses:           s.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create: %w", err)
	}
	return der, key, nil
}
