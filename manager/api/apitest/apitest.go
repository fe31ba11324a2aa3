// Package apitest checks HTTP responses against the manager's OpenAPI
// document (kin-openapi). Tests route their client through
// Validator.RoundTripper so that every response they produce is validated.
package apitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/certgate/certgate/manager/api"
)

func init() {
	openapi3filter.RegisterBodyDecoder("application/x-pem-file", openapi3filter.FileBodyDecoder)
}

// Validator validates responses and remembers which operations and
// statuses were exercised.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]int // "METHOD /path STATUS" -> count
}

// NewValidator loads and validates the embedded OpenAPI document.
func NewValidator() (*Validator, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	doc.Servers = nil // match on the path below BasePath
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Validator{doc: doc, router: router, seen: map[string]int{}}, nil
}

// Check validates one response to req. Paths outside api.BasePath
// (/healthz, /readyz, /metrics) are not part of the document and pass.
func (v *Validator) Check(req *http.Request, status int, header http.Header, body []byte) error {
	rest, ok := strings.CutPrefix(req.URL.Path, api.BasePath)
	if !ok {
		return nil
	}
	r2 := req.Clone(context.Background())
	r2.URL = &url.URL{Path: rest, RawQuery: req.URL.RawQuery}
	route, params, err := v.router.FindRoute(r2)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil // no such route: answered by NoRoute/NoMethod
		}
		return fmt.Errorf("%s %s answered %d but has no route in openapi.yaml: %v", req.Method, req.URL.Path, status, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s -> %d does not match openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
	}
	v.mu.Lock()
	v.seen[fmt.Sprintf("%s %s %d", route.Method, route.Path, status)]++
	v.mu.Unlock()
	return nil
}

// CheckRequest validates a request (parameters and body) against the
// document. Tests call it for requests the server accepted: a request the
// server takes must be one the document allows.
func (v *Validator) CheckRequest(req *http.Request, body []byte) error {
	rest, ok := strings.CutPrefix(req.URL.Path, api.BasePath)
	if !ok {
		return nil
	}
	r2 := req.Clone(context.Background())
	r2.URL = &url.URL{Path: rest, RawQuery: req.URL.RawQuery}
	r2.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := v.router.FindRoute(r2)
	if err != nil {
		return fmt.Errorf("%s %s has no route in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("accepted request %s %s does not match openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	return nil
}

// Uncovered lists the documented operations no validated 2xx response
// exercised.
func (v *Validator) Uncovered() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for path, item := range v.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ok := false
			for code := range op.Responses.Map() {
				if strings.HasPrefix(code, "2") && v.seen[method+" "+path+" "+code] > 0 {
					ok = true
				}
			}
			if !ok {
				out = append(out, method+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Seen returns how many validated responses had each "METHOD /path STATUS".
func (v *Validator) Seen() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.seen))
	for k, n := range v.seen {
		out[k] = n
	}
	return out
}

// RoundTripper returns a transport that validates every response it
// carries and reports mismatches with tb.Errorf.
func (v *Validator) RoundTripper(tb testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper{v: v, tb: tb, base: base}
}

type roundTripper struct {
	v    *Validator
	tb   testing.TB
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := rt.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := rt.v.Check(req, resp.StatusCode, resp.Header, body); err != nil {
		rt.tb.Errorf("openapi: %v", err)
	}
	if resp.StatusCode < 300 { // accepted requests must match the documented request too
		if err := rt.v.CheckRequest(req, reqBody); err != nil {
			rt.tb.Errorf("openapi: %v", err)
		}
	}
	return resp, nil
}
