package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/api"
	"github.com/certgate/certgate/manager/api/apitest"
	"github.com/certgate/certgate/manager/push"
	"github.com/certgate/certgate/manager/store/badgerstore"
)

const (
	testToken        = "test-admin-token"
	testGatewayToken = "test-gateway-token"
)

// validator checks every response of every test in this package.
var validator *apitest.Validator

func TestMain(m *testing.M) {
	var err error
	if validator, err = apitest.NewValidator(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	// With the whole suite run, every documented operation must have been
	// exercised (and validated) with a 2xx response at least once.
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if missing := validator.Uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi: operations without a validated 2xx response: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

// env is a manager on a real Badger store behind httptest, with a client
// whose transport validates each response against openapi.yaml.
type env struct {
	t      testing.TB
	store  *badgerstore.Store
	srv    *httptest.Server
	client *http.Client
	token  string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := push.NewPublisher(context.Background(), st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopPub := context.WithCancel(context.Background())
	go pub.Run(runCtx)
	gws := push.NewGateways()
	h := api.New(api.Config{Store: st, AdminToken: testToken, Metrics: api.NewMetrics(st.ConfigVersion),
		Mount: func(root *gin.Engine, admin *gin.RouterGroup) {
			root.GET(push.SnapshotPath, push.GatewayAuth(testGatewayToken), push.LongPoll(pub, gws))
			admin.GET("/gateways", push.ListGateways(pub, gws, nil))
		}})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); stopPub(); <-pub.Done(); st.Close() })
	return &env{t: t, store: st, srv: srv, token: testToken,
		client: &http.Client{Transport: validator.RoundTripper(t, nil)}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// errBody decodes the JSON error body.
func (r response) err() (code int64, msg string) {
	var e struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Code, e.Message
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (e *env) do(method, path, contentType string, body io.Reader) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// v4 prefixes path with the REST base path.
func v4(path string) string { return api.BasePath + path }

func (e *env) getJSON(path string) response { return e.do(http.MethodGet, v4(path), "", nil) }

func (e *env) sendJSON(method, path string, v any) response {
	var body []byte
	switch b := v.(type) {
	case string:
		body = []byte(b)
	default:
		body, _ = json.Marshal(v)
	}
	return e.do(method, v4(path), "application/json", bytes.NewReader(body))
}

// upload sends a multipart form; file is attached as "certificate" unless nil.
func (e *env) upload(method, path string, fields map[string]string, filename string, file []byte) response {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("certificate", filename)
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	return e.do(method, v4(path), mw.FormDataContentType(), &buf)
}

// createAPI creates an API and returns its id.
func (e *env) createAPI(name, context, version string, schemes ...string) string {
	e.t.Helper()
	if len(schemes) == 0 {
		schemes = []string{"oauth2", "mutualssl"}
	}
	r := e.sendJSON(http.MethodPost, "/apis", map[string]any{
		"name": name, "version": version, "context": context, "securityScheme": schemes,
		"endpointConfig": map[string]any{"endpoint_type": "http", "production_endpoints": map[string]string{"url": "http://127.0.0.1:8080/" + name}},
	})
	if r.status != http.StatusCreated {
		e.t.Fatalf("create API: %d %s", r.status, r.body)
	}
	var out struct{ ID string }
	r.decode(e.t, &out)
	return out.ID
}

// state captures everything a failed request must leave unchanged.
func (e *env) state(apiID string) string {
	e.t.Helper()
	var sb strings.Builder
	for _, p := range []string{"/apis?limit=1000", "/throttling-policies/subscription", "/config-version", "/audit?limit=1000"} {
		sb.Write(e.getJSON(p).body)
	}
	if apiID != "" {
		sb.Write(e.getJSON("/apis/" + apiID + "/client-certificates?limit=1000").body)
	}
	return sb.String()
}
