package filtertest

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/wasmtest"
)

// TestJWT covers token verification on an OAuth2-only API.
func TestJWT(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	p := w.idp
	good := p.claims(idOAuth, nil)
	tampered := func() string {
		tok := p.token(t, "RS256", good)
		parts := strings.Split(tok, ".")
		parts[1] = b64json(p.claims(idOAuth, map[string]any{"sub": "mallory"}))
		return strings.Join(parts, ".")
	}
	cases := []struct {
		name   string
		auth   string
		status int
		code   int
	}{
		{"ok/rs256", "Bearer " + p.token(t, "RS256", good), 200, 0},
		{"ok/es256", "Bearer " + p.token(t, "ES256", good), 200, 0},
		{"ok/api-audience", "Bearer " + p.token(t, "ES256", p.claims("oauth-audience", nil)), 200, 0},
		{"ok/aud-array", "Bearer " + p.token(t, "ES256", p.claims([]string{"x", idOAuth}, nil)), 200, 0},
		{"ok/lowercase-scheme", "bearer " + p.token(t, "RS256", good), 200, 0},
		{"ok/exp-within-skew", "Bearer " + p.token(t, "RS256", p.claims(idOAuth, map[string]any{"exp": t0.Add(-30 * time.Second).Unix()})), 200, 0},
		{"fail/bad-signature", "Bearer " + tampered(), 401, 900901},
		{"fail/other-key-same-issuer", "Bearer " + w.rogue.token(t, "RS256", p.claims(idOAuth, nil)), 401, 900901},
		{"fail/wrong-issuer", "Bearer " + w.rogue.token(t, "RS256", w.rogue.claims(idOAuth, nil)), 401, 900901},
		{"fail/wrong-audience", "Bearer " + p.token(t, "RS256", p.claims(idMTLS, nil)), 401, 900901},
		{"fail/no-audience", "Bearer " + p.token(t, "RS256", p.claims(idOAuth, map[string]any{"aud": nil})), 401, 900901},
		{"fail/expired", "Bearer " + p.token(t, "RS256", p.claims(idOAuth, map[string]any{"exp": t0.Add(-2 * time.Minute).Unix()})), 401, 900901},
		{"fail/not-yet-valid", "Bearer " + p.token(t, "ES256", p.claims(idOAuth, map[string]any{"nbf": t0.Add(5 * time.Minute).Unix()})), 401, 900901},
		{"fail/no-exp", "Bearer " + p.token(t, "ES256", p.claims(idOAuth, map[string]any{"exp": nil})), 401, 900901},
		{"fail/alg-none", "Bearer " + b64json(map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64json(good) + ".", 401, 900901},
		{"fail/alg-hs256", "Bearer " + b64json(map[string]any{"alg": "HS256"}) + "." + b64json(good) + "." + base64.RawURLEncoding.EncodeToString([]byte("sig")), 401, 900901},
		{"fail/alg-confusion", "Bearer " + strings.Replace(p.token(t, "ES256", good), b64json(map[string]any{"alg": "ES256", "typ": "JWT", "kid": "ec-1"}), b64json(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "ec-1"}), 1), 401, 900901},
		{"fail/garbage", "Bearer not.a.jwt", 401, 900901},
		{"fail/basic-auth", "Basic YWxpY2U6cGFzcw==", 401, 900901},
		{"missing/empty-bearer", "", 401, 900902},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := request{path: "/oauth/1.0.0/x"}
			if c.auth != "" {
				r.headers = []wasmtest.Header{{"authorization", c.auth}}
			}
			res := e.do(r)
			wantStatus(t, res, c.status, c.code)
			if c.status == 401 {
				if wa, _ := headerValue(res.local.Headers, "www-authenticate"); !strings.HasPrefix(wa, "Bearer") {
					t.Fatalf("www-authenticate %q", wa)
				}
			}
		})
	}
}

// TestJWTCache: a repeated token is served from the cache, which still
// re-checks expiry, and which a new generation invalidates (issuer removed).
func TestJWTCache(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	tok := w.idp.token(t, "RS256", w.idp.claims(idOAuth, map[string]any{"exp": t0.Add(10 * time.Minute).Unix()}))
	r := request{path: "/oauth/1.0.0/x", headers: []wasmtest.Header{bearer(tok)}}
	wantStatus(t, e.do(r), 200, 0)
	wantStatus(t, e.do(r), 200, 0)
	wantStatus(t, e.do(r), 200, 0)
	if hits, misses := e.metric("certgate.jwt.cache_hits"), e.metric("certgate.jwt.cache_misses"); hits != 2 || misses != 1 {
		t.Fatalf("cache hits %d misses %d", hits, misses)
	}
	e.clock.Advance(12 * time.Minute)
	wantStatus(t, e.do(r), 401, 900901)
	e.clock.Set(t0)
	next := *w.snap
	next.Issuers = nil
	e.publish(w.snap, &next)
	wantStatus(t, e.do(r), 401, 900901)
}
