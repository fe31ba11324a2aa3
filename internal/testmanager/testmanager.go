// Package testmanager runs a real certgate manager (REST, Badger in a test
// directory, long-poll, optionally xDS) inside a test and drives its admin
// API, for the end-to-end and local-gateway tests.
package testmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"crypto/x509"

	"github.com/certgate/certgate/manager/server"
)

// Tokens every test manager uses.
const (
	AdminToken   = "test-manager-admin-token-0123456789"
	GatewayToken = "test-manager-gateway-token-0123456789"
)

// Options for Start; zero values: a new temp dir, a random port, no xDS.
type Options struct {
	Dir, Listen string
	XDS         bool
}

// Manager is a running manager.
type Manager struct {
	t       testing.TB
	Dir     string
	Srv     *server.Server
	stopped bool
}

// Start starts a manager; it is stopped at the end of the test unless Stop was called.
func Start(t testing.TB, o Options) *Manager {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	xdsListen := "off"
	if o.XDS {
		xdsListen = "127.0.0.1:0"
	}
	cfg := server.Config{Listen: o.Listen, DataDir: o.Dir, AdminToken: AdminToken, GatewayToken: GatewayToken,
		XDSListen: xdsListen, LogLevel: "error", ShutdownTimeout: 5 * time.Second}
	s, err := server.New(cfg, server.NewLogger(io.Discard, "error"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	m := &Manager{t: t, Dir: o.Dir, Srv: s}
	t.Cleanup(func() {
		if !m.stopped {
			m.Stop()
		}
	})
	return m
}

// Stop shuts the manager down gracefully.
func (m *Manager) Stop() {
	m.stopped = true
	if err := m.Srv.Shutdown(context.Background()); err != nil {
		m.t.Error(err)
	}
}

// Addr is the REST listener's host:port; Base its http:// URL.
func (m *Manager) Addr() string { return m.Srv.Addr() }

// Base is the manager's base URL.
func (m *Manager) Base() string { return "http://" + m.Srv.Addr() }

// Call sends an admin request; a non-2xx answer fails the test. The JSON
// answer is decoded into out when it is not nil.
func (m *Manager) Call(method, path, contentType string, body io.Reader, out any) {
	m.t.Helper()
	req, _ := http.NewRequest(method, m.Base()+"/api/am/publisher/v4"+path, body)
	req.Header.Set("Authorization", "Bearer "+AdminToken)
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

// ConfigVersion is the manager's current config version.
func (m *Manager) ConfigVersion() uint64 {
	m.t.Helper()
	var v struct{ Version uint64 }
	m.Call(http.MethodGet, "/config-version", "", nil, &v)
	return v.Version
}

// CreateAPI creates API name v1.0.0 at context (the default version) with
// the given security schemes and returns its id.
func (m *Manager) CreateAPI(name, context string, schemes ...string) string {
	m.t.Helper()
	sec, _ := json.Marshal(schemes)
	body := fmt.Sprintf(`{"name":%q,"version":"1.0.0","context":%q,"securityScheme":%s,"isDefaultVersion":true,
		"endpointConfig":{"endpoint_type":"http","production_endpoints":{"url":"http://127.0.0.1:9/"}}}`, name, context, sec)
	var api struct{ ID string }
	m.Call(http.MethodPost, "/apis", "application/json", bytes.NewBufferString(body), &api)
	return api.ID
}

// CreateTier creates a subscription tier of requests per unit (sec, min, hour, day).
func (m *Manager) CreateTier(name string, requests int, unit string) {
	m.t.Helper()
	body := fmt.Sprintf(`{"name":%q,"requestCount":%d,"timeUnit":%q}`, name, requests, unit)
	m.Call(http.MethodPost, "/throttling-policies/subscription", "application/json", bytes.NewBufferString(body), nil)
}

// Upload uploads cert as PEM with an alias and tier; extra are more form
// fields as name, value pairs (e.g. "type", "ca").
func (m *Manager) Upload(apiID, alias, tier string, cert *x509.Certificate, extra ...string) {
	m.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("certificate", alias+".crt")
	_ = pem.Encode(fw, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	_ = w.WriteField("alias", alias)
	_ = w.WriteField("tier", tier)
	for i := 0; i+1 < len(extra); i += 2 {
		_ = w.WriteField(extra[i], extra[i+1])
	}
	_ = w.Close()
	m.Call(http.MethodPost, "/apis/"+apiID+"/client-certificates", w.FormDataContentType(), &buf, nil)
}

// Remove deletes a certificate (kept as history by the manager).
func (m *Manager) Remove(apiID, alias string) {
	m.t.Helper()
	m.Call(http.MethodDelete, "/apis/"+apiID+"/client-certificates/"+alias, "", nil, nil)
}
