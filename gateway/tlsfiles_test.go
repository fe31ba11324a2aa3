package gateway

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServerCertificate: the generated certificate chains to the CA file
// for localhost and 127.0.0.1, its key is 0600, a restart reuses it, and
// an expiring one is replaced.
func TestServerCertificate(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir}
	now := time.Now()
	c1, ca, err := serverCertificate(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	if ca != filepath.Join(dir, CAFileName) {
		t.Fatalf("CA path %s", ca)
	}
	caPEM, _ := os.ReadFile(ca)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	leaf, _ := x509.ParseCertificate(c1.Certificate[0])
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, ServerKeyFileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st.Mode(), err)
	}
	if bytes.Contains(caPEM, []byte("PRIVATE KEY")) {
		t.Fatal("CA file holds a private key")
	}
	c2, _, err := serverCertificate(cfg, now)
	if err != nil || !bytes.Equal(c1.Certificate[0], c2.Certificate[0]) {
		t.Fatalf("restart did not reuse the certificate (%v)", err)
	}
	c3, _, err := serverCertificate(cfg, now.AddDate(1, 0, 0))
	if err != nil || bytes.Equal(c1.Certificate[0], c3.Certificate[0]) {
		t.Fatalf("an expiring certificate was kept (%v)", err)
	}
}

func TestServerCertificateGiven(t *testing.T) {
	dir := t.TempDir()
	caPEM, certPEM, keyPEM, err := generateLocalhostPKI(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_ = caPEM
	writeFile(t, filepath.Join(dir, "c.pem"), string(certPEM))
	writeFile(t, filepath.Join(dir, "k.pem"), string(keyPEM))
	c, ca, err := serverCertificate(Config{TLSCert: filepath.Join(dir, "c.pem"), TLSKey: filepath.Join(dir, "k.pem")}, time.Now())
	if err != nil || ca != "" || len(c.Certificate) != 1 {
		t.Fatalf("%v %q", err, ca)
	}
	if _, _, err := serverCertificate(Config{TLSCert: filepath.Join(dir, "c.pem"), TLSKey: filepath.Join(dir, "c.pem")}, time.Now()); err == nil {
		t.Fatal("a certificate without its key was accepted")
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "gateway-token")
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = os.WriteFile(p, []byte("  secret-token\n"), 0o600)
	}()
	tok, err := readToken(p, 5*time.Second)
	if err != nil || tok != "secret-token" {
		t.Fatalf("%q %v", tok, err)
	}
	writeFile(t, p, "\n")
	if _, err := readToken(p, 0); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty token: %v", err)
	}
	if _, err := readToken(filepath.Join(dir, "missing"), 0); err == nil || !strings.Contains(err.Error(), "start the manager") {
		t.Fatalf("missing token: %v", err)
	}
}
