// Package e2e runs certgate whole: a real manager (REST, Badger, long-poll,
// xDS) and the compiled filter in wasmtest VMs that long-poll it through
// proxy_http_call, as Envoy would.
package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/server"
	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

const (
	adminToken   = "e2e-admin-token-0123456789"
	gatewayToken = "e2e-gateway-token-0123456789"
	cluster      = "certgate-manager"
)

// manager is a real certgate manager on a real Badger directory.
type manager struct {
	t      testing.TB
	dir    string
	listen string
	srv    *server.Server
}

func startManager(t testing.TB, dir, listen string) *manager {
	t.Helper()
	cfg := server.Config{Listen: listen, DataDir: dir, AdminToken: adminToken, GatewayToken: gatewayToken,
		LogLevel: "error", ShutdownTimeout: 5 * time.Second}
	s, err := server.New(cfg, server.NewLogger(io.Discard, "error"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return &manager{t: t, dir: dir, listen: s.Addr(), srv: s}
}

func (m *manager) stop() {
	if err := m.srv.Shutdown(context.Background()); err != nil {
		m.t.Fatal(err)
	}
}

func (m *manager) base() string { return "http://" + m.listen }

// call sends an admin request and decodes a JSON answer into out (if set).
func (m *manager) call(method, path, contentType string, body io.Reader, out any) {
	m.t.Helper()
	req, _ := http.NewRequest(method, m.base()+"/api/am/publisher/v4"+path, body)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		m.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			m.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func (m *manager) configVersion() uint64 {
	var v struct{ Version uint64 }
	m.call(http.MethodGet, "/config-version", "", nil, &v)
	return v.Version
}

// createAPI creates a mutual-SSL-only API and returns its id.
func (m *manager) createAPI(name, context string) string {
	body := fmt.Sprintf(`{"name":%q,"version":"1.0.0","context":%q,"securityScheme":["mutualssl"],"isDefaultVersion":true,
		"endpointConfig":{"endpoint_type":"http","production_endpoints":{"url":"http://127.0.0.1:9/"}}}`, name, context)
	var api struct{ ID string }
	m.call(http.MethodPost, "/apis", "application/json", bytes.NewBufferString(body), &api)
	return api.ID
}

// upload uploads a PEM client certificate with a tier.
func (m *manager) upload(apiID, alias, tier string, cert *x509.Certificate) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("certificate", alias+".crt")
	_ = pem.Encode(fw, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	_ = w.WriteField("alias", alias)
	_ = w.WriteField("tier", tier)
	_ = w.Close()
	m.call(http.MethodPost, "/apis/"+apiID+"/client-certificates", w.FormDataContentType(), &buf, nil)
}

func (m *manager) remove(apiID, alias string) {
	m.call(http.MethodDelete, "/apis/"+apiID+"/client-certificates/"+alias, "", nil, nil)
}

var serial atomic.Int64

// clientCert makes a self-signed client certificate (as seed 003's openssl command does).
func clientCert(t testing.TB, cn string) *x509.Certificate {
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
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// gateway is one Envoy process: a wasmtest host running the compiled filter
// on several workers, syncing from the manager.
type gateway struct {
	host   *wasmtest.Host
	plugin *wasmtest.Plugin
}

// startGateway starts a gateway; each VM names itself with a random id in
// its polls (no gatewayId configured), so the manager's gateways view shows
// which VMs poll.
func startGateway(t testing.TB, wasm []byte, managerURL string, workers int) *gateway {
	t.Helper()
	host := wasmtest.NewHost(wasmtest.HostOptions{Clusters: map[string]string{cluster: managerURL}})
	t.Cleanup(func() { host.Close() })
	cfg := fmt.Sprintf(`{"sync":{"cluster":%q,"token":%q,"tickMillis":20,"timeoutMillis":3000}}`, cluster, gatewayToken)
	p, err := host.NewPlugin(context.Background(), wasmtest.PluginOptions{Name: "certgate", VMID: "certgate", Config: []byte(cfg), Wasm: wasm, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{host: host, plugin: p}
}

// applied is the manager version the gateway's shared data reflects.
func (g *gateway) applied() uint64 {
	v, _, ok := g.host.SharedData().Get(shared.KeySyncApplied)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(string(v), 10, 64)
	return n
}

// waitApplied pumps the gateway until it has applied version v.
func (g *gateway) waitApplied(t testing.TB, v uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.host.Wait(ctx, func() bool { return g.applied() >= v }); err != nil {
		t.Fatalf("gateway stuck at version %d, want %d: %v\nwarnings: %v", g.applied(), v, err, g.host.LogMessages(wasmtest.LogWarn))
	}
}

// request sends GET path with cert as the TLS peer on worker w and returns
// the local reply status, or 0 when the request went upstream.
func (g *gateway) request(t testing.TB, w int, path string, cert *x509.Certificate) int {
	t.Helper()
	opts := wasmtest.StreamOptions{Worker: w, Properties: map[string][]byte{"source.address": wasmtest.PropString("10.1.2.3:5555")}}
	if cert != nil {
		for k, v := range wasmtest.PeerCertificateProperties(cert, true) {
			opts.Properties[k] = v
		}
	}
	s, err := g.plugin.NewStream(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.RequestHeaders([]wasmtest.Header{{":method", "GET"}, {":path", path}, {":authority", "api.example.com"}, {":scheme", "https"}}, true); err != nil {
		t.Fatal(err)
	}
	if lr := s.LocalResponse(); lr != nil {
		return lr.Status
	}
	return 0
}

// fp is the lowercase hex SHA-256 of the certificate's DER.
func fp(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
