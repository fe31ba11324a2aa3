package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
)

type apiBody struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Version          string   `json:"version"`
	Context          string   `json:"context"`
	Provider         string   `json:"provider"`
	IsDefaultVersion bool     `json:"isDefaultVersion"`
	SecurityScheme   []string `json:"securityScheme"`
	LifeCycleStatus  string   `json:"lifeCycleStatus"`
	APIIdentifier    string   `json:"apiIdentifier"`
	Policy           string   `json:"apiThrottlingPolicy"`
	Environments     []string `json:"gatewayEnvironments"`
}

func TestAPILifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.createAPI("PizzaShackAPI", "/pizzashack", "1.0.0", "mutualssl", "mutualssl_mandatory")
	var a apiBody
	e.getJSON("/apis/"+id).decode(t, &a)
	if a.APIIdentifier != "admin--PizzaShackAPI:v1.0.0" || a.Provider != "admin" || a.LifeCycleStatus != "CREATED" ||
		strings.Join(a.Environments, ",") != "Default" ||
		strings.Join(a.SecurityScheme, ",") != "mutualssl,mutualssl_mandatory" {
		t.Fatalf("unexpected API %+v", a)
	}

	// GET -> modify -> PUT round trip (read-only fields are accepted).
	var full map[string]any
	e.getJSON("/apis/"+id).decode(t, &full)
	full["lifeCycleStatus"] = "PUBLISHED"
	full["isDefaultVersion"] = true
	full["apiThrottlingPolicy"] = "Gold"
	full["gatewayEnvironments"] = []string{"Default", "Staging"}
	r := e.sendJSON(http.MethodPut, "/apis/"+id, full)
	if r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r.decode(t, &a)
	if a.LifeCycleStatus != "PUBLISHED" || !a.IsDefaultVersion || a.Policy != "Gold" || strings.Join(a.Environments, ",") != "Default,Staging" {
		t.Fatalf("update not applied: %+v", a)
	}

	// A second version marked default takes the default from the first.
	id2 := e.createAPI("PizzaShackAPI", "/pizzashack", "2.0.0")
	e.getJSON("/apis/"+id2).decode(t, &full)
	full["isDefaultVersion"] = true
	if r := e.sendJSON(http.MethodPut, "/apis/"+id2, full); r.status != http.StatusOK {
		t.Fatalf("update v2: %d %s", r.status, r.body)
	}
	e.getJSON("/apis/"+id).decode(t, &a)
	if a.IsDefaultVersion {
		t.Fatal("v1 is still the default version after v2 was marked default")
	}

	// Tier used as the API policy cannot be deleted.
	if r := e.do(http.MethodDelete, v4("/throttling-policies/subscription/Gold"), "", nil); r.status != http.StatusConflict {
		t.Fatalf("delete Gold in use by API policy: %d %s", r.status, r.body)
	}

	var list struct {
		Count int       `json:"count"`
		List  []apiBody `json:"list"`
	}
	e.getJSON("/apis?limit=1").decode(t, &list)
	if list.Count != 1 || len(list.List) != 1 {
		t.Fatalf("paged list: %+v", list)
	}

	// Deleting an API moves its certificates to history.
	c := testcerts.New(testcerts.Spec{CommonName: "to-be-archived"})
	mustUpload(t, e, id, "client1", "Bronze", testcerts.PEM(c.Cert.Raw))
	if r := e.do(http.MethodDelete, v4("/apis/"+id), "", nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.getJSON("/apis/" + id); r.status != http.StatusNotFound {
		t.Fatalf("deleted API still found: %d", r.status)
	}
	hist, err := e.store.CertificateHistory(t.Context(), id)
	if err != nil || len(hist) != 1 || !hist[0].Removed || hist[0].Alias != "client1" {
		t.Fatalf("history after API delete: %+v %v", hist, err)
	}
	// The context+version is free again, and Bronze is no longer in use.
	e.createAPI("PizzaShackAPI", "/pizzashack", "1.0.0")
	if r := e.do(http.MethodDelete, v4("/throttling-policies/subscription/Bronze"), "", nil); r.status != http.StatusOK {
		t.Fatalf("delete unused Bronze: %d %s", r.status, r.body)
	}
}

// TestJSONBadInput covers refused JSON bodies and API/tier conflicts: each
// must answer the right 4xx and code and change nothing.
func TestJSONBadInput(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI("Orders", "/orders", "1.0.0")
	valid := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "Menu", "version": "1.0.0", "context": "/menu", "securityScheme": []string{"oauth2"},
			"endpointConfig": map[string]any{"production_endpoints": map[string]string{"url": "https://backend.example.com/menu"}}}
		if mod != nil {
			mod(m)
		}
		return m
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   int64
	}{
		{"fail/api-unknown-field", "POST", "/apis", valid(func(m map[string]any) { m["colour"] = "blue" }), 400, domain.CodeUnknownField},
		{"fail/api-unknown-nested-field", "POST", "/apis", valid(func(m map[string]any) {
			m["endpointConfig"] = map[string]any{"production_endpoints": map[string]string{"url": "http://x", "uri": "y"}}
		}), 400, domain.CodeUnknownField},
		{"fail/api-malformed-json", "POST", "/apis", `{"name": "Menu",`, 400, domain.CodeBadRequest},
		{"fail/api-two-values", "POST", "/apis", `{"name":"a"} {"name":"b"}`, 400, domain.CodeBadRequest},
		{"fail/api-empty-body", "POST", "/apis", ``, 400, domain.CodeBadRequest},
		{"fail/api-wrong-type", "POST", "/apis", valid(func(m map[string]any) { m["isDefaultVersion"] = "yes" }), 400, domain.CodeValidation},
		{"fail/api-missing-endpoint", "POST", "/apis", valid(func(m map[string]any) { delete(m, "endpointConfig") }), 400, domain.CodeValidation},
		{"fail/api-endpoint-not-http", "POST", "/apis", valid(func(m map[string]any) {
			m["endpointConfig"] = map[string]any{"production_endpoints": map[string]string{"url": "ftp://x"}}
		}), 400, domain.CodeValidation},
		{"fail/api-bad-scheme", "POST", "/apis", valid(func(m map[string]any) { m["securityScheme"] = []string{"oauth2", "basic"} }), 400, domain.CodeValidation},
		{"fail/api-no-oauth-nor-mutualssl", "POST", "/apis", valid(func(m map[string]any) { m["securityScheme"] = []string{"oauth_basic_auth_api_key_mandatory"} }), 400, domain.CodeValidation},
		{"fail/api-bad-context", "POST", "/apis", valid(func(m map[string]any) { m["context"] = "/menu/../x y" }), 400, domain.CodeValidation},
		{"fail/api-context-with-version", "POST", "/apis", valid(func(m map[string]any) { m["context"] = "/menu/1.0.0" }), 400, domain.CodeValidation},
		{"fail/api-bad-lifecycle", "POST", "/apis", valid(func(m map[string]any) { m["lifeCycleStatus"] = "LIVE" }), 400, domain.CodeValidation},
		{"fail/api-bad-environment", "POST", "/apis", valid(func(m map[string]any) { m["gatewayEnvironments"] = []string{"Prod uction"} }), 400, domain.CodeValidation},
		{"fail/api-environment-too-long", "POST", "/apis", valid(func(m map[string]any) { m["gatewayEnvironments"] = []string{strings.Repeat("e", 65)} }), 400, domain.CodeValidation},
		{"fail/api-duplicate-environment", "POST", "/apis", valid(func(m map[string]any) { m["gatewayEnvironments"] = []string{"Default", "Staging", "Default"} }), 400, domain.CodeValidation},
		{"fail/api-empty-environment-name", "POST", "/apis", valid(func(m map[string]any) { m["gatewayEnvironments"] = []string{""} }), 400, domain.CodeValidation},
		{"fail/api-update-bad-environment", "PUT", "/apis/" + apiID, valid(func(m map[string]any) { m["gatewayEnvironments"] = []string{"a/b"} }), 400, domain.CodeValidation},
		{"fail/api-duplicate-context-version", "POST", "/apis", valid(func(m map[string]any) { m["context"] = "/orders" }), 409, domain.CodeAPIExists},
		{"fail/api-unknown-tier-policy", "POST", "/apis", valid(func(m map[string]any) { m["apiThrottlingPolicy"] = "Platinum" }), 400, domain.CodeTierNotFound},
		{"fail/api-body-too-large", "POST", "/apis", valid(func(m map[string]any) { m["name"] = strings.Repeat("x", 70<<10) }), 413, domain.CodeBodyTooLarge},
		{"fail/api-update-not-found", "PUT", "/apis/00000000-0000-4000-8000-000000000000", valid(nil), 404, domain.CodeAPINotFound},
		{"fail/api-update-id-mismatch", "PUT", "/apis/" + apiID, valid(func(m map[string]any) { m["id"] = "other" }), 400, domain.CodeValidation},
		{"fail/api-update-unknown-field", "PUT", "/apis/" + apiID, valid(func(m map[string]any) { m["owner"] = "me" }), 400, domain.CodeUnknownField},
		{"fail/api-delete-not-found", "DELETE", "/apis/00000000-0000-4000-8000-000000000000", nil, 404, domain.CodeAPINotFound},
		{"fail/api-get-not-found", "GET", "/apis/00000000-0000-4000-8000-000000000000", nil, 404, domain.CodeAPINotFound},
		{"fail/tier-unknown-field", "POST", "/throttling-policies/subscription", map[string]any{"name": "Platinum", "requestCount": 10, "timeUnit": "min", "burst": 5}, 400, domain.CodeUnknownField},
		{"fail/tier-bad-time-unit", "POST", "/throttling-policies/subscription", map[string]any{"name": "Platinum", "requestCount": 10, "timeUnit": "week"}, 400, domain.CodeValidation},
		{"fail/tier-zero-requests", "POST", "/throttling-policies/subscription", map[string]any{"name": "Platinum", "requestCount": 0, "timeUnit": "min"}, 400, domain.CodeValidation},
		{"fail/tier-bad-name", "POST", "/throttling-policies/subscription", map[string]any{"name": "Pla tinum", "requestCount": 1, "timeUnit": "min"}, 400, domain.CodeValidation},
		{"fail/tier-exists", "POST", "/throttling-policies/subscription", map[string]any{"name": "Gold", "requestCount": 1, "timeUnit": "min"}, 409, domain.CodeTierExists},
		{"fail/tier-update-not-found", "PUT", "/throttling-policies/subscription/Platinum", map[string]any{"requestCount": 1, "timeUnit": "min"}, 404, domain.CodeTierNotFound},
		{"fail/tier-update-rename", "PUT", "/throttling-policies/subscription/Gold", map[string]any{"name": "Golden", "requestCount": 1, "timeUnit": "min"}, 400, domain.CodeValidation},
		{"fail/tier-delete-not-found", "DELETE", "/throttling-policies/subscription/Platinum", nil, 404, domain.CodeTierNotFound},
		{"fail/tier-get-not-found", "GET", "/throttling-policies/subscription/Platinum", nil, 404, domain.CodeTierNotFound},
		{"fail/cert-get-not-found", "GET", "/apis/" + apiID + "/client-certificates/nobody", nil, 404, domain.CodeCertNotFound},
		{"fail/cert-content-not-found", "GET", "/apis/" + apiID + "/client-certificates/nobody/content", nil, 404, domain.CodeCertNotFound},
		{"fail/cert-delete-not-found", "DELETE", "/apis/" + apiID + "/client-certificates/nobody", nil, 404, domain.CodeCertNotFound},
		{"fail/cert-list-unknown-api", "GET", "/apis/nope/client-certificates", nil, 404, domain.CodeAPINotFound},
		{"fail/cert-list-bad-limit", "GET", "/apis/" + apiID + "/client-certificates?limit=0", nil, 400, domain.CodeValidation},
		{"fail/cert-list-bad-offset", "GET", "/apis/" + apiID + "/client-certificates?offset=-1", nil, 400, domain.CodeValidation},
		{"fail/no-such-route", "GET", "/nothing-here", nil, 404, domain.CodeResourceNotFound},
		{"fail/method-not-allowed", "PATCH", "/apis", nil, 405, domain.CodeMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(apiID)
			var r response
			if c.body == nil {
				r = e.do(c.method, v4(c.path), "", nil)
			} else {
				r = e.sendJSON(c.method, c.path, c.body)
			}
			code, msg := r.err()
			if r.status != c.status || code != c.code {
				t.Fatalf("got %d code %d (%s), want %d code %d; body %s", r.status, code, msg, c.status, c.code, r.body)
			}
			if after := e.state(apiID); after != before {
				t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
