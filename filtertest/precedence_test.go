package filtertest

import (
	"testing"

	"github.com/certgate/certgate/wasmtest"
)

// TestPrecedence runs every row of seed 001's table, the single-scheme
// APIs and the WSO2 4.x mandatory variants through the compiled filter.
func TestPrecedence(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	tokenFor := func(aud string) string { return w.idp.token(t, "RS256", w.idp.claims(aud, nil)) }
	badToken := func(aud string) string { return w.rogue.token(t, "RS256", w.rogue.claims(aud, nil)) }
	cases := []struct {
		name       string
		path, api  string
		peer       *issued
		token      func(aud string) string
		status     int
		code       int
		authMethod string
	}{
		// Both schemes enabled (seed 001).
		{"both/cert-valid+token-sent", "/both/1.0.0/menu", idBoth, w.client, badToken, 200, 0, "mutualssl"},
		{"both/cert-invalid+token-valid", "/both/1.0.0/menu", idBoth, w.stranger, tokenFor, 200, 0, "oauth2"},
		{"both/cert-invalid+token-invalid", "/both/1.0.0/menu", idBoth, w.stranger, badToken, 401, 900901, ""},
		{"both/cert-only-valid", "/both/1.0.0/menu", idBoth, w.client, nil, 200, 0, "mutualssl"},
		{"both/cert-only-invalid", "/both/1.0.0/menu", idBoth, w.stranger, nil, 401, 900901, ""},
		{"both/token-only-valid", "/both/1.0.0/menu", idBoth, nil, tokenFor, 200, 0, "oauth2"},
		{"both/token-only-invalid", "/both/1.0.0/menu", idBoth, nil, badToken, 401, 900901, ""},
		{"both/neither", "/both/1.0.0/menu", idBoth, nil, nil, 401, 900902, ""},
		// Only mutual SSL: the token is ignored.
		{"mtls/cert-valid+bad-token", "/mtls/1.0.0/x", idMTLS, w.client, badToken, 200, 0, "mutualssl"},
		{"mtls/cert-invalid+good-token", "/mtls/1.0.0/x", idMTLS, w.stranger, tokenFor, 401, 900901, ""},
		{"mtls/no-cert+good-token", "/mtls/1.0.0/x", idMTLS, nil, tokenFor, 401, 900902, ""},
		// Only OAuth2: the certificate is ignored.
		{"oauth/token-valid+bad-cert", "/oauth/1.0.0/x", idOAuth, w.stranger, tokenFor, 200, 0, "oauth2"},
		{"oauth/token-invalid+good-cert", "/oauth/1.0.0/x", idOAuth, w.client, badToken, 401, 900901, ""},
		{"oauth/no-token+good-cert", "/oauth/1.0.0/x", idOAuth, w.client, nil, 401, 900902, ""},
		// Mandatory variants.
		{"mtls-mandatory/cert-invalid+token-valid", "/mtlsmand/1.0.0/x", idMTLSMand, w.stranger, tokenFor, 401, 900901, ""},
		{"mtls-mandatory/no-cert+token-valid", "/mtlsmand/1.0.0/x", idMTLSMand, nil, tokenFor, 401, 900902, ""},
		{"mtls-mandatory/cert-valid", "/mtlsmand/1.0.0/x", idMTLSMand, w.client, badToken, 200, 0, "mutualssl"},
		{"oauth-mandatory/token-invalid+cert-valid", "/oauthmand/1.0.0/x", idOAuthMand, w.client, badToken, 401, 900901, ""},
		{"oauth-mandatory/no-token+cert-valid", "/oauthmand/1.0.0/x", idOAuthMand, w.client, nil, 401, 900902, ""},
		{"oauth-mandatory/token-valid+cert-invalid", "/oauthmand/1.0.0/x", idOAuthMand, w.stranger, tokenFor, 200, 0, "oauth2"},
		{"both-mandatory/both-valid", "/bothmand/1.0.0/x", idBothMand, w.client, tokenFor, 200, 0, "mutualssl+oauth2"},
		{"both-mandatory/token-missing", "/bothmand/1.0.0/x", idBothMand, w.client, nil, 401, 900902, ""},
		{"both-mandatory/cert-invalid", "/bothmand/1.0.0/x", idBothMand, w.stranger, tokenFor, 401, 900901, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := request{path: c.path, peer: c.peer}
			if c.token != nil {
				r.headers = append(r.headers, bearer(c.token(c.api)))
			}
			res := e.do(r)
			wantStatus(t, res, c.status, c.code)
			if c.status != 200 {
				if res.body.Message == "" || res.body.Description == "" {
					t.Fatalf("deny body incomplete: %+v", res.body)
				}
				return
			}
			if got, _ := res.upstreamHeader("x-certgate-auth-method"); got != c.authMethod {
				t.Fatalf("auth method %q, want %q", got, c.authMethod)
			}
			if got, _ := res.upstreamHeader("x-certgate-api"); got != c.api {
				t.Fatalf("api header %q", got)
			}
			if c.authMethod == "mutualssl" || c.authMethod == "mutualssl+oauth2" {
				if cn, _ := res.upstreamHeader("x-certgate-cn"); cn != "client-one" {
					t.Fatalf("cn %q", cn)
				}
				if u, _ := res.upstreamHeader("x-certgate-user"); u != "client-one" {
					t.Fatalf("username %q, want the CN", u)
				}
				if a, _ := res.upstreamHeader("x-certgate-alias"); a != "client-one" {
					t.Fatalf("alias %q", a)
				}
			}
			if c.authMethod == "oauth2" {
				if id, _ := res.upstreamHeader("x-certgate-client-id"); id != "app-1" {
					t.Fatalf("client id %q", id)
				}
			}
		})
	}
	if e.metric("certgate.api."+idBoth+".allowed") == 0 || e.metric("certgate.api."+idBoth+".invalid") == 0 ||
		e.metric("certgate.api."+idBoth+".missing") == 0 || e.metric("certgate.api."+idMTLS+".missing") == 0 ||
		e.metric("certgate.auth.mutualssl") == 0 || e.metric("certgate.auth.oauth2") == 0 {
		t.Fatal("metrics not counted")
	}
}

// TestIdentityHeadersReplaceInboundCopies checks spoofed identity headers never reach the upstream.
func TestIdentityHeadersReplaceInboundCopies(t *testing.T) {
	e := newEnv(t, envOptions{config: `{"stripAuthorization": true}`})
	w := e.w
	res := e.do(request{path: "/both/1.0.0/menu", peer: w.client, headers: []wasmtest.Header{
		{"x-certgate-cn", "admin"}, {"x-certgate-user", "admin"}, {"x-certgate-client-id", "spoofed"},
		bearer(w.idp.token(t, "ES256", w.idp.claims(idBoth, nil)))}})
	wantStatus(t, res, 200, 0)
	var cns []string
	for _, h := range res.upstream {
		switch h[0] {
		case "x-certgate-cn", "x-certgate-user":
			cns = append(cns, h[1])
		case "x-certgate-client-id":
			t.Fatalf("spoofed client id reached the upstream: %q", h[1])
		case "authorization":
			t.Fatal("authorization not stripped")
		}
	}
	if len(cns) != 2 || cns[0] != "client-one" || cns[1] != "client-one" {
		t.Fatalf("identity headers upstream: %v", cns)
	}
	// Unguarded routes get spoofed identity headers removed too.
	res = e.do(request{path: "/unknown/x", headers: []wasmtest.Header{{"x-certgate-cn", "admin"}}})
	wantStatus(t, res, 200, 0)
	if _, ok := res.upstreamHeader("x-certgate-cn"); ok {
		t.Fatal("spoofed identity header reached an unguarded upstream")
	}
}
