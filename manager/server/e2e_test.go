package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/api/apitest"
	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/server"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// client talks to a running manager; every response is validated against
// openapi.yaml.
type client struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

func (c *client) do(method, path, contentType string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *client) expect(status int, method, path, contentType string, body []byte) []byte {
	c.t.Helper()
	got, b := c.do(method, path, contentType, body)
	if got != status {
		c.t.Fatalf("%s %s: %d %s (want %d)", method, path, got, b, status)
	}
	return b
}

func (c *client) upload(status int, method, path string, fields map[string]string, file []byte) []byte {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("certificate", "upload")
		fw.Write(file)
	}
	mw.Close()
	return c.expect(status, method, path, mw.FormDataContentType(), buf.Bytes())
}

func start(t *testing.T, dir string, notice io.Writer, logs io.Writer) *server.Server {
	t.Helper()
	cfg := server.Config{Listen: "127.0.0.1:0", DataDir: dir, LogLevel: "debug", ShutdownTimeout: 5 * time.Second}
	s, err := server.New(cfg, server.NewLogger(logs, "debug"), notice)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEndToEnd runs the real server on a real listener and Badger dir,
// exercises the certificate API with every upload format, restarts the
// server on the same dir and checks everything is as it was.
func TestEndToEnd(t *testing.T) {
	v, err := apitest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var notice bytes.Buffer
	logs := &syncBuffer{}
	s := start(t, dir, &notice, logs)
	tokenBytes, err := os.ReadFile(filepath.Join(dir, server.TokenFileName))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	if fi, _ := os.Stat(filepath.Join(dir, server.TokenFileName)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode().Perm())
	}
	if strings.Count(notice.String(), token) != 1 {
		t.Fatalf("generated token not printed exactly once: %q", notice.String())
	}
	c := &client{t: t, base: s.URL(), token: token, http: &http.Client{Transport: v.RoundTripper(t, nil)}}

	// An API secured with mutual SSL.
	body := c.expect(201, "POST", "/apis", "application/json", []byte(`{"name":"PizzaShackAPI","version":"1.0.0","context":"/pizzashack",
		"securityScheme":["oauth2","mutualssl"],"isDefaultVersion":true,"lifeCycleStatus":"PUBLISHED",
		"endpointConfig":{"endpoint_type":"http","production_endpoints":{"url":"https://localhost:9444/pizzashack"}}}`))
	var created struct{ ID string }
	json.Unmarshal(body, &created)
	certs := "/apis/" + created.ID + "/client-certificates"

	// Certificates in every format, generated now.
	pemC := testcerts.New(testcerts.Spec{CommonName: "pem-client", Key: testcerts.RSAKey(2048), IsCA: true}) // like openssl req -x509
	derC := testcerts.New(testcerts.Spec{CommonName: "der-client"})
	jksC := testcerts.New(testcerts.Spec{CommonName: "jks-client"})
	p12C := testcerts.New(testcerts.Spec{CommonName: "p12-client"})
	caC := testcerts.New(testcerts.Spec{CommonName: "partner-ca", IsCA: true})
	renewed := testcerts.New(testcerts.Spec{CommonName: "der-client-renewed"})
	uploads := []struct {
		alias, tier string
		file        []byte
		extra       map[string]string
	}{
		{"pem-client", "Bronze", testcerts.PEM(pemC.Cert.Raw), nil},
		{"der-client", "Silver", derC.Cert.Raw, nil},
		{"jks-client", "Gold", testcerts.JKS("changeit", jksC.Cert), map[string]string{"password": "changeit"}},
		{"p12-client", "Unlimited", testcerts.PKCS12Trust("s3cret", p12C.Cert), map[string]string{"password": "s3cret"}},
		{"partner-ca", "Gold", testcerts.PEM(caC.Cert.Raw), map[string]string{"type": "ca"}},
	}
	for _, u := range uploads {
		f := map[string]string{"alias": u.alias, "tier": u.tier}
		for k, v := range u.extra {
			f[k] = v
		}
		var meta struct{ Alias, APIID, Tier string }
		json.Unmarshal(c.upload(200, "POST", certs, f, u.file), &meta)
		if meta.Alias != u.alias || meta.Tier != u.tier {
			t.Fatalf("upload %s: %+v", u.alias, meta)
		}
	}

	// List and page.
	var page struct {
		Count        int
		Certificates []struct{ Alias string }
		Pagination   struct {
			Total int
			Next  string
		}
	}
	json.Unmarshal(c.expect(200, "GET", certs+"?limit=2&offset=0", "", nil), &page)
	if page.Count != 2 || page.Pagination.Total != 5 || page.Pagination.Next == "" {
		t.Fatalf("first page %+v", page)
	}
	json.Unmarshal(c.expect(200, "GET", certs+"?limit=2&offset=4", "", nil), &page)
	if page.Count != 1 || page.Pagination.Next != "" {
		t.Fatalf("last page %+v", page)
	}

	// Get, download, update tier, replace a certificate, delete one.
	for _, u := range []struct {
		alias string
		cert  *testcerts.Cert
	}{{"pem-client", pemC}, {"der-client", derC}, {"jks-client", jksC}, {"p12-client", p12C}, {"partner-ca", caC}} {
		var info struct{ FingerprintSha256, CommonName string }
		json.Unmarshal(c.expect(200, "GET", certs+"/"+u.alias, "", nil), &info)
		if info.FingerprintSha256 != domain.Fingerprint(u.cert.Cert.Raw) || info.CommonName != u.cert.Cert.Subject.CommonName {
			t.Fatalf("%s: %+v", u.alias, info)
		}
		if got := c.expect(200, "GET", certs+"/"+u.alias+"/content", "", nil); !bytes.Equal(got, testcerts.PEM(u.cert.Cert.Raw)) {
			t.Fatalf("%s: content differs", u.alias)
		}
	}
	c.upload(200, "PUT", certs+"/pem-client", map[string]string{"tier": "Gold"}, nil)
	c.upload(200, "PUT", certs+"/der-client", nil, renewed.Cert.Raw)
	c.expect(200, "DELETE", certs+"/p12-client", "", nil)
	c.expect(404, "GET", certs+"/p12-client", "", nil)
	c.expect(201, "POST", "/throttling-policies/subscription", "application/json", []byte(`{"name":"Platinum","requestCount":50,"unitTime":1,"timeUnit":"sec"}`))

	// Everything a client can read, captured before the restart.
	paths := []string{"/apis", "/apis/" + created.ID, certs + "?limit=100", "/throttling-policies/subscription",
		"/audit?limit=100", "/config-version", certs + "/p12-client"}
	for _, a := range []string{"pem-client", "der-client", "jks-client", "partner-ca"} {
		paths = append(paths, certs+"/"+a, certs+"/"+a+"/content")
	}
	capture := func() map[string]string {
		m := map[string]string{}
		for _, p := range paths {
			st, b := c.do("GET", p, "", nil)
			m[p] = fmt.Sprintf("%d %s", st, b)
		}
		return m
	}
	before := capture()
	versionBefore := s.Store().ConfigVersion()
	histBefore, _ := s.Store().CertificateHistory(t.Context(), created.ID)

	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Restart on the same data dir: same token, nothing printed, same state.
	notice.Reset()
	s2 := start(t, dir, &notice, logs)
	defer s2.Shutdown(t.Context())
	if notice.Len() != 0 {
		t.Fatalf("restart printed a token notice: %q", notice.String())
	}
	c.base = s2.URL()
	after := capture()
	for _, p := range paths {
		if before[p] != after[p] {
			t.Errorf("after restart %s:\nbefore %s\nafter  %s", p, before[p], after[p])
		}
	}
	if s2.Store().ConfigVersion() != versionBefore {
		t.Fatalf("config version %d after restart, want %d", s2.Store().ConfigVersion(), versionBefore)
	}
	histAfter, _ := s2.Store().CertificateHistory(t.Context(), created.ID)
	if len(histBefore) != 2 || len(histAfter) != len(histBefore) {
		t.Fatalf("history before %d after %d (want 2: the removed p12-client and the replaced der-client)", len(histBefore), len(histAfter))
	}
	// The removed alias is reusable after the restart.
	c.upload(200, "POST", certs, map[string]string{"alias": "p12-client", "tier": "Bronze", "password": "s3cret"}, testcerts.PKCS12Trust("s3cret", p12C.Cert))
	if strings.Contains(logs.String(), token) {
		t.Fatal("the admin token appears in the logs")
	}
}
