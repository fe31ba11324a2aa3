package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/certgate/certgate/manager/api"
	"github.com/certgate/certgate/manager/domain"
)

func TestUnauthenticatedEndpoints(t *testing.T) {
	e := newEnv(t)
	e.token = ""
	cases := []struct {
		name, path string
		status     int
		contains   string
	}{
		{"ok/healthz", "/healthz", 200, `"ok"`},
		{"ok/readyz", "/readyz", 200, `"ok"`},
		{"ok/metrics", "/metrics", 200, "certgate_config_version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(http.MethodGet, c.path, "", nil)
			if r.status != c.status || !strings.Contains(string(r.body), c.contains) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		header string
		status int
		code   int64
	}{
		{"ok/bearer", "Bearer " + testToken, 200, 0},
		{"ok/bearer-lowercase-scheme", "bearer " + testToken, 200, 0},
		{"fail/missing", "", 401, domain.CodeMissingCredentials},
		{"fail/basic-scheme", "Basic " + testToken, 401, domain.CodeMissingCredentials},
		{"fail/empty-token", "Bearer ", 401, domain.CodeMissingCredentials},
		{"fail/wrong-token", "Bearer " + testToken + "x", 401, domain.CodeInvalidCredentials},
		{"fail/prefix-of-token", "Bearer " + testToken[:5], 401, domain.CodeInvalidCredentials},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+api.BasePath+"/apis", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			r := response{status: resp.StatusCode, body: buf.Bytes()}
			if code, _ := r.err(); r.status != c.status || code != c.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if c.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.getJSON("/openapi.yaml")
	if r.status != 200 || !bytes.Equal(r.body, api.OpenAPI) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("%d %q", r.status, r.header.Get("Content-Type"))
	}
}

// TestOpenAPIValidatorCatchesMismatch proves the validator used by every
// test can fail: wrong shapes and undocumented statuses are reported.
func TestOpenAPIValidatorCatchesMismatch(t *testing.T) {
	req := func(method, path string) *http.Request {
		r, _ := http.NewRequest(method, "http://x"+api.BasePath+path, nil)
		return r
	}
	jsonH := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name   string
		req    *http.Request
		status int
		body   string
		ok     bool
	}{
		{"ok/config-version", req("GET", "/config-version"), 200, `{"version":3}`, true},
		{"fail/wrong-type", req("GET", "/config-version"), 200, `{"version":"3"}`, false},
		{"fail/extra-field", req("GET", "/config-version"), 200, `{"version":3,"x":1}`, false},
		{"fail/undocumented-status", req("GET", "/config-version"), 418, `{"code":1,"message":"m","description":"d"}`, false},
		{"fail/error-without-code", req("GET", "/apis/x"), 404, `{"message":"m","description":"d"}`, false},
		{"fail/undocumented-route-200", req("GET", "/secret"), 200, `{}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validator.Check(c.req, c.status, jsonH, []byte(c.body))
			if (err == nil) != c.ok {
				t.Fatalf("ok=%v, err=%v", c.ok, err)
			}
		})
	}
}
