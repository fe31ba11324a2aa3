package gateway

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testmanager"
	"github.com/certgate/certgate/wasmtest"
)

// testManager is a real manager (REST, Badger in t.TempDir(), long-poll).
type testManager = testmanager.Manager

func startManager(t testing.TB) *testManager { return testmanager.Start(t, testmanager.Options{}) }

var serial atomic.Int64

// keyPair is a certificate and its key, made at test time.
type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (k keyPair) tls() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{k.cert.Raw}, PrivateKey: k.key, Leaf: k.cert}
}

// newCert makes a client certificate for cn, self-signed or issued by parent.
func newCert(t testing.TB, cn string, parent *keyPair, isCA bool) keyPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = nil
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{cert: c, key: key}
}

// filterWasmPath fails the test when the filter was not built.
func filterWasmPath(t testing.TB) string {
	t.Helper()
	wasmtest.MustReadBuild(t, "certgate-filter.wasm")
	return filepath.Join(wasmtest.BuildDir(), "certgate-filter.wasm")
}

// startGateway runs a gateway against m; edit may change the config.
func startGateway(t testing.TB, m *testManager, edit func(*Config)) *Gateway {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "gateway-token")
	if err := os.WriteFile(tokenFile, []byte(testmanager.GatewayToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), Manager: m.Base(), GatewayTokenFile: tokenFile,
		Env: "Default", GatewayID: "gateway-test", FilterWasm: filterWasmPath(t), Workers: 2,
		MaxBodyBytes: DefaultMaxBodyBytes, UpstreamTimeout: 5 * time.Second, LogLevel: "warn",
	}
	if edit != nil {
		edit(&cfg)
	}
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	g.waitFor(t, m)
	return g
}

// waitFor waits until the gateway applied the manager's current version.
func (g *Gateway) waitFor(t testing.TB, m *testManager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.WaitApplied(ctx, m.ConfigVersion()); err != nil {
		t.Fatal(err)
	}
}

// client is an HTTPS client trusting the gateway's generated CA, presenting cert when set.
func client(t testing.TB, g *Gateway, cert *keyPair) *http.Client {
	t.Helper()
	caPEM, err := os.ReadFile(g.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA in", g.CAFile())
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{cert.tls()}
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// reply is a gateway answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) echo(t testing.TB) EchoResponse {
	t.Helper()
	var e EchoResponse
	if err := json.Unmarshal(r.body, &e); err != nil || e.Backend != "certgate-echo" {
		t.Fatalf("not an echo answer (%d): %s", r.status, r.body)
	}
	return e
}

// errorBody is the filter's JSON error {code, message, description}.
func (r reply) errorBody(t testing.TB) (code int, message string) {
	t.Helper()
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("not a JSON error (%d): %s", r.status, r.body)
	}
	return e.Code, e.Message
}

func do(t testing.TB, c *http.Client, method, url string, body []byte, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}
