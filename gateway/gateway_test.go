package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

const menu = "/pizzashack/1.0.0/menu"

// TestGatewayMutualSSL is the demo path over real TLS: an uploaded client
// certificate reaches the echo backend with identity headers (on every
// worker), no certificate or an unknown one gets the filter's 401 JSON, and
// identity headers sent by the client never reach the backend.
func TestGatewayMutualSSL(t *testing.T) {
	m := startManager(t)
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(t, "alice", nil, false)
	m.Upload(apiID, "alice-cert", "Gold", alice.cert)
	g := startGateway(t, m, nil)
	withCert := client(t, g, &alice)

	t.Run("ok/uploaded-certificate", func(t *testing.T) {
		for i := 0; i < 2*g.cfg.Workers; i++ { // round-robin: every worker answers the same
			r := do(t, withCert, http.MethodGet, g.URL()+menu+"?size=large", nil)
			if r.status != http.StatusOK {
				t.Fatalf("request %d: %d %s", i, r.status, r.body)
			}
			e := r.echo(t)
			want := map[string]string{"x-certgate-cn": "alice", "x-certgate-user": "alice", "x-certgate-alias": "alice-cert",
				"x-certgate-auth-method": shared.AuthMutualSSL, "x-certgate-api": "admin--PizzaShack:v1.0.0"} // WSO2 API identifier (seed 002)
			for k, v := range want {
				if e.Identity[k] != v {
					t.Fatalf("request %d: %s = %q, want %q (identity %v)", i, k, e.Identity[k], v, e.Identity)
				}
			}
			if e.Method != http.MethodGet || e.Path != menu+"?size=large" {
				t.Fatalf("backend saw %s %s", e.Method, e.Path)
			}
			if r.header.Get("Ratelimit-Limit") != "5000" { // Gold: 5000/min, added by the filter's response callback
				t.Fatalf("RateLimit-Limit %q, headers %v", r.header.Get("Ratelimit-Limit"), r.header)
			}
		}
	})
	t.Run("ok/default-version-route", func(t *testing.T) {
		if r := do(t, withCert, http.MethodGet, g.URL()+"/pizzashack/menu", nil); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("fail/no-certificate", func(t *testing.T) {
		r := do(t, client(t, g, nil), http.MethodGet, g.URL()+menu, nil)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if code, _ := r.errorBody(t); code != shared.CodeMissingCredentials {
			t.Fatalf("code %d, want %d: %s", code, shared.CodeMissingCredentials, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
			t.Fatalf("content-type %q", ct)
		}
	})
	t.Run("fail/unknown-certificate", func(t *testing.T) {
		mallory := newCert(t, "mallory", nil, false)
		r := do(t, client(t, g, &mallory), http.MethodGet, g.URL()+menu, nil)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if code, _ := r.errorBody(t); code != shared.CodeInvalidCredentials {
			t.Fatalf("code %d: %s", code, r.body)
		}
	})
	t.Run("ok/spoofed-identity-replaced", func(t *testing.T) {
		r := do(t, withCert, http.MethodGet, g.URL()+menu, nil,
			"X-Certgate-Cn", "admin", "X-Certgate-User", "root", "x-certgate-alias", "boss", "X-Certgate-Client-Id", "spoofed")
		e := r.echo(t)
		if e.Identity["x-certgate-cn"] != "alice" || e.Identity["x-certgate-user"] != "alice" || e.Identity["x-certgate-alias"] != "alice-cert" {
			t.Fatalf("spoofed identity reached the backend: %v", e.Identity)
		}
		if _, ok := e.Identity["x-certgate-client-id"]; ok {
			t.Fatalf("spoofed client id reached the backend: %v", e.Identity)
		}
	})
	t.Run("ok/spoofed-identity-stripped-on-unguarded-path", func(t *testing.T) {
		r := do(t, client(t, g, nil), http.MethodGet, g.URL()+"/not-an-api", nil, "X-Certgate-User", "root")
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if e := r.echo(t); len(e.Identity) != 0 {
			t.Fatalf("identity headers on an unguarded path: %v", e.Identity)
		}
	})
}

// TestGatewayCertificateHeader: X-WSO2-CLIENT-CERTIFICATE from an
// untrusted hop is ignored (and never forwarded); from a trusted hop
// (trustedHops in --plugin-config) it authenticates.
func TestGatewayCertificateHeader(t *testing.T) {
	m := startManager(t)
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(t, "alice", nil, false)
	bob := newCert(t, "bob", nil, false)
	m.Upload(apiID, "alice", "Gold", alice.cert)
	m.Upload(apiID, "bob", "Gold", bob.cert)
	aliceHeader := wasmtest.URLEncodedPEM(alice.cert)

	t.Run("untrusted", func(t *testing.T) {
		g := startGateway(t, m, nil)
		r := do(t, client(t, g, nil), http.MethodGet, g.URL()+menu, nil, "X-WSO2-CLIENT-CERTIFICATE", aliceHeader)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("header from an untrusted hop accepted: %d %s", r.status, r.body)
		}
		if !slices.ContainsFunc(g.Host().LogMessages(wasmtest.LogWarn), func(s string) bool { return strings.Contains(s, "untrusted hop") }) {
			t.Fatalf("no untrusted-hop warning from the filter: %v", g.Host().LogMessages(wasmtest.LogWarn))
		}
		// With a TLS certificate the connection decides, and the header is removed.
		r = do(t, client(t, g, &bob), http.MethodGet, g.URL()+menu, nil, "X-WSO2-CLIENT-CERTIFICATE", aliceHeader)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		e := r.echo(t)
		if e.Identity["x-certgate-cn"] != "bob" {
			t.Fatalf("identity %v, want bob (from TLS)", e.Identity)
		}
		if slices.Contains(e.Headers, shared.HeaderClientCertificate) {
			t.Fatalf("certificate header forwarded upstream: %v", e.Headers)
		}
	})
	t.Run("trusted", func(t *testing.T) {
		pc := filepath.Join(t.TempDir(), "plugin.json")
		if err := os.WriteFile(pc, []byte(`{"trustedHops":{"cidrs":["127.0.0.1/32"]}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		g := startGateway(t, m, func(c *Config) { c.PluginConfig = pc })
		r := do(t, client(t, g, nil), http.MethodGet, g.URL()+menu, nil, "X-WSO2-CLIENT-CERTIFICATE", aliceHeader)
		if r.status != http.StatusOK {
			t.Fatalf("header from a trusted hop refused: %d %s", r.status, r.body)
		}
		e := r.echo(t)
		if e.Identity["x-certgate-cn"] != "alice" || slices.Contains(e.Headers, shared.HeaderClientCertificate) {
			t.Fatalf("identity %v headers %v", e.Identity, e.Headers)
		}
	})
}

// TestGatewayThrottling: a 3-per-minute tier admits three calls across both
// workers (one shared budget) and answers the fourth 429 with Retry-After.
func TestGatewayThrottling(t *testing.T) {
	m := startManager(t)
	m.CreateTier("Tiny", 3, "min")
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(t, "alice", nil, false)
	m.Upload(apiID, "alice", "Tiny", alice.cert)
	g := startGateway(t, m, nil)
	c := client(t, g, &alice)
	for i := 1; i <= 3; i++ {
		r := do(t, c, http.MethodGet, g.URL()+menu, nil)
		if r.status != http.StatusOK {
			t.Fatalf("call %d: %d %s", i, r.status, r.body)
		}
		if got := r.header.Get("Ratelimit-Remaining"); got != strconv.Itoa(3-i) {
			t.Fatalf("call %d: RateLimit-Remaining %q", i, got)
		}
	}
	r := do(t, c, http.MethodGet, g.URL()+menu, nil)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("4th call: %d %s", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if code, _ := r.errorBody(t); code != shared.CodeThrottled {
		t.Fatalf("code %d: %s", code, r.body)
	}
}

// TestGatewayCAIssuedCertificate: a certificate issued by a CA uploaded for
// the API is accepted; the gateway leaves connection.peer_certificate_valid
// unset, so the filter verifies the issuer's signature itself, and refuses
// a look-alike signed by another key.
func TestGatewayCAIssuedCertificate(t *testing.T) {
	m := startManager(t)
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	ca := newCert(t, "Partner CA", nil, true)
	m.Upload(apiID, "partner-ca", "Gold", ca.cert, "type", "ca")
	g := startGateway(t, m, nil)

	carol := newCert(t, "carol", &ca, false)
	r := do(t, client(t, g, &carol), http.MethodGet, g.URL()+menu, nil)
	if r.status != http.StatusOK {
		t.Fatalf("CA-issued certificate refused: %d %s", r.status, r.body)
	}
	if e := r.echo(t); e.Identity["x-certgate-cn"] != "carol" {
		t.Fatalf("identity %v", e.Identity)
	}
	fakeCA := newCert(t, "Partner CA", nil, true) // same name, other key
	fakeCA.cert.SubjectKeyId = ca.cert.SubjectKeyId
	forged := newCert(t, "carol", &fakeCA, false)
	if r := do(t, client(t, g, &forged), http.MethodGet, g.URL()+menu, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("forged certificate: %d %s", r.status, r.body)
	}
}

// TestGatewayBodies: request bodies reach the backend; bodies over the
// limit get 413 (only after the filter allowed the headers: an anonymous
// caller still gets 401).
func TestGatewayBodies(t *testing.T) {
	m := startManager(t)
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(t, "alice", nil, false)
	m.Upload(apiID, "alice", "Gold", alice.cert)
	g := startGateway(t, m, func(c *Config) { c.MaxBodyBytes = 1024 })
	c := client(t, g, &alice)
	cases := []struct {
		name   string
		client *http.Client
		size   int
		status int
	}{
		{"ok/small-body", c, 1000, http.StatusOK},
		{"ok/exact-limit", c, 1024, http.StatusOK},
		{"fail/over-limit", c, 1025, http.StatusRequestEntityTooLarge},
		{"fail/anonymous-over-limit", client(t, g, nil), 4096, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.client, http.MethodPost, g.URL()+"/pizzashack/1.0.0/order", bytes.Repeat([]byte("x"), tc.size), "Content-Type", "text/plain")
			if r.status != tc.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if tc.status == http.StatusOK {
				if e := r.echo(t); e.BodyBytes != tc.size || e.Method != http.MethodPost {
					t.Fatalf("backend saw %s with %d bytes", e.Method, e.BodyBytes)
				}
			}
		})
	}
}

// TestGatewayBackend: with --backend the request goes to URL base path +
// request path with Envoy's forwarding headers; hop-by-hop response headers
// are dropped, the status and body pass through; a dead backend is 503.
func TestGatewayBackend(t *testing.T) {
	m := startManager(t)
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(t, "alice", nil, false)
	m.Upload(apiID, "alice", "Gold", alice.cert)
	var seen *http.Request
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Clone(r.Context())
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "secret")
		w.Header().Set("X-Backend", "yes")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("created"))
	}))
	defer backend.Close()
	g := startGateway(t, m, func(c *Config) { c.Backend = backend.URL + "/base/" })
	r := do(t, client(t, g, &alice), http.MethodPut, g.URL()+menu+"?x=1", []byte("{}"), "Connection", "X-Client-Hop", "X-Client-Hop", "1")
	if r.status != http.StatusCreated || string(r.body) != "created" || r.header.Get("X-Backend") != "yes" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	if r.header.Get("X-Hop") != "" {
		t.Fatalf("hop-by-hop response header forwarded: %v", r.header)
	}
	if seen == nil || seen.URL.RequestURI() != "/base"+menu+"?x=1" || seen.Method != http.MethodPut {
		t.Fatalf("backend saw %v", seen)
	}
	if seen.Header.Get("X-Client-Hop") != "" || seen.Header.Get("X-Forwarded-Proto") != "https" ||
		seen.Header.Get("X-Forwarded-For") != "127.0.0.1" || seen.Header.Get("X-Request-Id") == "" ||
		seen.Header.Get("X-Certgate-Cn") != "alice" || seen.Host != strings.TrimPrefix(g.URL(), "https://") {
		t.Fatalf("backend headers %v host %s", seen.Header, seen.Host)
	}
	backend.Close()
	if r := do(t, client(t, g, &alice), http.MethodGet, g.URL()+menu, nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("dead backend: %d %s", r.status, r.body)
	}
}

// TestGatewayConcurrentOneBudget: concurrent callers over both workers
// share one budget — exactly the tier's count is admitted, the rest is 429.
func TestGatewayConcurrentOneBudget(t *testing.T) {
	const limit, calls = 20, 60
	m := startManager(t)
	m.CreateTier("Twenty", limit, "min")
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(t, "alice", nil, false)
	m.Upload(apiID, "alice", "Twenty", alice.cert)
	g := startGateway(t, m, func(c *Config) { c.Workers = 4 })
	c := client(t, g, &alice)
	var wg sync.WaitGroup
	var ok, throttled, other atomic.Int64
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Get(g.URL() + menu)
			if err != nil {
				other.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusTooManyRequests:
				throttled.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != limit || throttled.Load() != calls-limit || other.Load() != 0 {
		t.Fatalf("admitted %d, throttled %d, other %d; want %d/%d/0", ok.Load(), throttled.Load(), other.Load(), limit, calls-limit)
	}
}
