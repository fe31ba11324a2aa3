package server_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/server"

	"github.com/gin-gonic/gin"
)

// TestServeTLSAndMount: --tls-cert/--tls-key serve HTTPS, and routes mounted
// with WithRoutes share the admin authentication.
func TestServeTLSAndMount(t *testing.T) {
	dir := t.TempDir()
	srvCert := testcerts.New(testcerts.Spec{CommonName: "127.0.0.1", IsCA: true})
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	// A serving certificate with an IP SAN, signed by srvCert.
	leaf := testcerts.NewServer(srvCert, net.ParseIP("127.0.0.1"))
	os.WriteFile(certFile, testcerts.PEM(leaf.Cert.Raw), 0o600)
	os.WriteFile(keyFile, testcerts.KeyPEM(leaf.Key), 0o600)
	cfg := server.Config{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "data"), AdminToken: "tls-admin-token-0123456789",
		TLSCert: certFile, TLSKey: keyFile, LogLevel: "error", ShutdownTimeout: 5 * time.Second}
	s, err := server.New(cfg, server.NewLogger(io.Discard, "error"), io.Discard, server.WithRoutes(
		func(st domain.Store, root *gin.Engine, admin *gin.RouterGroup) {
			admin.GET("/extra", func(c *gin.Context) { c.String(200, "v%d", st.ConfigVersion()) })
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s", s.URL())
	}
	pool := x509.NewCertPool()
	pool.AddCert(srvCert.Cert)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cases := []struct {
		name, token string
		status      int
		body        string
	}{
		{"ok/mounted-route", cfg.AdminToken, 200, "v1"},
		{"fail/mounted-route-needs-token", "", 401, "900902"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL()+"/extra", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
}
