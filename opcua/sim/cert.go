package sim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/edgetag/edgetag/internal/appcert"
)

// ApplicationURI is the simulator's application URI, in its certificate's
// URI SAN and its endpoint descriptions.
const ApplicationURI = "urn:edgetag:sim:server"

// Certificate file names inside Config.CertDir.
const (
	certFile = "sim-cert.der"
	keyFile  = "sim-key.pem"
)

// loadOrCreateCert returns the server certificate (DER) and key kept in dir,
// generating and saving them the first time, so clients that trusted the
// simulator keep trusting it across restarts. An empty dir generates a
// certificate that lives only as long as the process.
func loadOrCreateCert(dir, host string) ([]byte, *rsa.PrivateKey, error) {
	if dir != "" {
		cert, key, err := loadCert(dir)
		if err == nil {
			return cert, key, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	cert, key, err := newCert(host)
	if err != nil {
		return nil, nil, err
	}
	if dir == "" {
		return cert, key, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create certificate dir %s: %w", dir, err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(dir, keyFile), keyPEM, 0o600); err != nil {
		return nil, nil, fmt.Errorf("write simulator key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, certFile), cert, 0o644); err != nil {
		return nil, nil, fmt.Errorf("write simulator certificate: %w", err)
	}
	return cert, key, nil
}

func loadCert(dir string) ([]byte, *rsa.PrivateKey, error) {
	cert, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, nil, err
	}
	if _, err := x509.ParseCertificate(cert); err != nil {
		return nil, nil, fmt.Errorf("simulator certificate %s: %w", filepath.Join(dir, certFile), err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, nil, fmt.Errorf("simulator key %s: no PEM block", filepath.Join(dir, keyFile))
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator key %s: %w", filepath.Join(dir, keyFile), err)
	}
	return cert, key, nil
}

// newCert makes a self-signed RSA 2048 certificate valid from the start of
// the current year for ten years, with the application URI, localhost,
// 127.0.0.1 and host as subject alternative names.
func newCert(host string) ([]byte, *rsa.PrivateKey, error) {
	spec := appcert.Spec{
		URI:        ApplicationURI,
		CommonName: "edgetag simulator",
		DNSNames:   []string{"localhost"},
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:  appcert.YearStart(time.Now()),
	}
	spec.NotAfter = spec.NotBefore.AddDate(10, 0, 0)
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() && !ip.IsUnspecified() {
			spec.IPs = append(spec.IPs, ip)
		}
	} else if host != "" && host != "localhost" {
		spec.DNSNames = append(spec.DNSNames, host)
	}
	der, key, err := appcert.New(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator certificate: %w", err)
	}
	return der, key, nil
}
