package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files of the generated server certificate in the data directory.
const (
	CAFileName         = "gateway-ca.crt"     // the self-signed CA: what curl --cacert needs
	ServerCertFileName = "gateway-server.crt" // server certificate issued by it
	ServerKeyFileName  = "gateway-server.key" // its private key (0600)
)

// serverCertificate loads --tls-cert/--tls-key, or the generated
// certificate in dataDir (generating it when missing, unreadable or expiring
// within a day). caPath is the CA file to trust ("" for a given certificate).
func serverCertificate(cfg Config, now time.Time) (cert tls.Certificate, caPath string, err error) {
	if cfg.TLSCert != "" {
		cert, err = tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		return cert, "", err
	}
	caPath = filepath.Join(cfg.DataDir, CAFileName)
	certPath := filepath.Join(cfg.DataDir, ServerCertFileName)
	keyPath := filepath.Join(cfg.DataDir, ServerKeyFileName)
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && usable(c, caPath, now) {
		return c, caPath, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return cert, "", err
	}
	caPEM, certPEM, keyPEM, err := generateLocalhostPKI(now)
	if err != nil {
		return cert, "", err
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return cert, "", err
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return cert, "", err
	}
	if err := os.WriteFile(caPath, caPEM, 0o644); err != nil {
		return cert, "", err
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	return cert, caPath, err
}

// usable reports whether a previously generated certificate is still valid
// for a day, names localhost and 127.0.0.1, and chains to the CA file.
func usable(c tls.Certificate, caPath string, now time.Time) bool {
	if len(c.Certificate) == 0 {
		return false
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return false
	}
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		return false
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return false
	}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, CurrentTime: now.Add(24 * time.Hour)}); err != nil {
			return false
		}
	}
	return true
}

// generateLocalhostPKI makes a throw-away CA (its key is never written) and
// a server certificate for localhost, 127.0.0.1 and ::1, valid for a year.
func generateLocalhostPKI(now time.Time) (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
		return n
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "certgate local gateway CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0).Add(-time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return caPEM, certPEM, keyPEM, nil
}

// readToken reads the gateway token file, waiting up to wait for the
// manager to create it.
func readToken(path string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			tok := strings.TrimSpace(string(b))
			if tok == "" {
				return "", fmt.Errorf("gateway token file %s is empty", path)
			}
			return tok, nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return "", fmt.Errorf("gateway token: %w (start the manager first, or pass --gateway-token-file)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
