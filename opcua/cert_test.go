package opcua

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestClientCertCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	uri := "urn:edgetag:host:site"
	c1, created, err := loadOrCreateClientCert(dir, uri)
	if err != nil || !created {
		t.Fatalf("first call: created %v, err %v", created, err)
	}
	c2, created, err := loadOrCreateClientCert(dir, "urn:edgetag:host:other")
	if err != nil || created {
		t.Fatalf("second call: created %v, err %v", created, err)
	}
	if c1.Thumbprint != c2.Thumbprint || c2.URI != uri {
		t.Fatalf("certificate not reused: %s/%s, uri %s", c1.Thumbprint, c2.Thumbprint, c2.URI)
	}
	if c2.Path != filepath.Join(dir, "pki", "own", "cert.der") {
		t.Fatalf("path %s", c2.Path)
	}
	fi, err := os.Stat(filepath.Join(dir, "pki", "own", "key.pem"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode())
	}

	cert, err := x509.ParseCertificate(c1.DER)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if want := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC); !cert.NotBefore.Equal(want) {
		t.Errorf("NotBefore %v, want %v", cert.NotBefore, want)
	}
	if cert.NotAfter.Before(now.AddDate(10, 0, 0)) {
		t.Errorf("NotAfter %v too soon", cert.NotAfter)
	}
	if len(cert.URIs) != 1 || cert.URIs[0].String() != uri {
		t.Errorf("URI SAN %v, want %s", cert.URIs, uri)
	}
	wantKU := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment |
		x509.KeyUsageDataEncipherment | x509.KeyUsageCertSign
	if cert.KeyUsage != wantKU {
		t.Errorf("key usage %b, want %b", cert.KeyUsage, wantKU)
	}
	if len(cert.ExtKeyUsage) != 2 {
		t.Errorf("ext key usage %v, want serverAuth and clientAuth", cert.ExtKeyUsage)
	}
	if cert.IsCA || len(cert.SubjectKeyId) == 0 || string(cert.AuthorityKeyId) != string(cert.SubjectKeyId) {
		t.Errorf("basic constraints or key ids: ca %v, ski %x, aki %x", cert.IsCA, cert.SubjectKeyId, cert.AuthorityKeyId)
	}
	if c1.Key.N.BitLen() != 2048 {
		t.Errorf("key size %d", c1.Key.N.BitLen())
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
}

func TestClientCertBroken(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, own string)
		fatal bool
	}{
		{name: "missing key regenerates", setup: func(t *testing.T, own string) {
			if err := os.Remove(filepath.Join(own, "key.pem")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "corrupt certificate is an error", fatal: true, setup: func(t *testing.T, own string) {
			if err := os.WriteFile(filepath.Join(own, "cert.der"), []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "key of another certificate is an error", fatal: true, setup: func(t *testing.T, own string) {
			other := t.TempDir()
			if _, _, err := loadOrCreateClientCert(other, "urn:x"); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(other, "pki", "own", "key.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(own, "key.pem"), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, _, err := loadOrCreateClientCert(dir, "urn:edgetag:h:s"); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, filepath.Join(dir, "pki", "own"))
			_, created, err := loadOrCreateClientCert(dir, "urn:edgetag:h:s")
			if tt.fatal {
				if err == nil || errors.Is(err, os.ErrNotExist) {
					t.Fatalf("got %v, want a load error", err)
				}
				return
			}
			if err != nil || !created {
				t.Fatalf("created %v, err %v", created, err)
			}
		})
	}
}
