package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/certgate/certgate/shared"
)

type keys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func newKeys(t testing.TB) keys {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return keys{rsa: r, ec: e}
}

func (k keys) issuer() shared.Issuer {
	x := make([]byte, 32)
	y := make([]byte, 32)
	k.ec.X.FillBytes(x)
	k.ec.Y.FillBytes(y)
	return shared.Issuer{Issuer: "https://idp.example", Keys: []shared.JWK{
		{Kid: "r1", Alg: shared.AlgRS256, N: k.rsa.N.Bytes(), E: uint64(k.rsa.E)},
		{Kid: "e1", Alg: shared.AlgES256, X: x, Y: y},
	}}
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sign builds a token; alg selects the key ("RS256", "ES256") or none.
func (k keys) sign(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	in := b64(header) + "." + b64(claims)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	switch header["alg"] {
	case "RS256":
		s, err := rsa.SignPKCS1v15(rand.Reader, k.rsa, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, k.ec, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func claims(extra map[string]any) map[string]any {
	c := map[string]any{"iss": "https://idp.example", "sub": "user1", "azp": "app-1", "aud": []string{"admin--Pizza:v1.0.0"}, "exp": 2000, "nbf": 1000}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestVerify(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	iss := k.issuer()
	lookup := func(s string) (shared.Issuer, bool) { return iss, s == iss.Issuer }
	cases := []struct {
		name  string
		token string
		err   error
	}{
		{"ok/rs256", k.sign(t, map[string]any{"alg": "RS256", "kid": "r1"}, claims(nil)), nil},
		{"ok/es256", k.sign(t, map[string]any{"alg": "ES256", "kid": "e1", "typ": "JWT"}, claims(nil)), nil},
		{"ok/no-kid", k.sign(t, map[string]any{"alg": "ES256"}, claims(nil)), nil},
		{"fail/bad-signature", other.sign(t, map[string]any{"alg": "RS256", "kid": "r1"}, claims(nil)), ErrSignature},
		{"fail/wrong-issuer", k.sign(t, map[string]any{"alg": "RS256", "kid": "r1"}, claims(map[string]any{"iss": "https://evil"})), ErrUnknownIssuer},
		{"fail/alg-none", b64(map[string]any{"alg": "none"}) + "." + b64(claims(nil)) + ".", ErrAlgorithm},
		{"fail/alg-none-with-sig", b64(map[string]any{"alg": "none"}) + "." + b64(claims(nil)) + ".AAAA", ErrAlgorithm},
		{"fail/hs256", b64(map[string]any{"alg": "HS256"}) + "." + b64(claims(nil)) + ".AAAA", ErrAlgorithm},
		{"fail/alg-key-mismatch", k.sign(t, map[string]any{"alg": "ES256", "kid": "r1"}, claims(nil)), ErrNoKey},
		{"fail/unknown-kid", k.sign(t, map[string]any{"alg": "RS256", "kid": "zz"}, claims(nil)), ErrNoKey},
		{"fail/no-exp", k.sign(t, map[string]any{"alg": "RS256", "kid": "r1"}, claims(map[string]any{"exp": nil})), ErrNoExpiry},
		{"fail/two-parts", "a.b", ErrMalformed},
		{"fail/four-parts", "a.b.c.d", ErrMalformed},
		{"fail/not-base64", "!!.!!.!!", ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.token, lookup)
			if err != c.err {
				t.Fatalf("got %v, want %v", err, c.err)
			}
		})
	}
}

func TestClaimsChecks(t *testing.T) {
	k := newKeys(t)
	iss := k.issuer()
	lookup := func(s string) (shared.Issuer, bool) { return iss, s == iss.Issuer }
	tok := k.sign(t, map[string]any{"alg": "RS256"}, claims(map[string]any{"aud": "pizza", "client_id": "cid-9", "azp": nil}))
	c, err := Verify(tok, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientID != "cid-9" || c.Subject != "user1" {
		t.Fatalf("claims %+v", c)
	}
	if !c.HasAudience("admin--Pizza:v1.0.0", "pizza") || c.HasAudience("other", "") {
		t.Fatal("audience")
	}
	times := []struct {
		name string
		now  int64
		err  error
	}{
		{"ok/inside", 1500, nil},
		{"ok/exp-within-skew", 2030, nil},
		{"fail/expired", 2061, ErrExpired},
		{"ok/nbf-within-skew", 950, nil},
		{"fail/not-yet-valid", 900, ErrNotYetValid},
	}
	for _, tc := range times {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.CheckTime(tc.now, 60); err != tc.err {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestCache(t *testing.T) {
	c := NewCache(2)
	c.Put("a", 1, Claims{Subject: "a"})
	c.Put("b", 1, Claims{Subject: "b"})
	if got, ok := c.Get("a", 1); !ok || got.Subject != "a" {
		t.Fatal("a missing")
	}
	if _, ok := c.Get("a", 2); ok {
		t.Fatal("hit across generations")
	}
	c.Put("c", 1, Claims{Subject: "c"}) // evicts a (FIFO)
	if _, ok := c.Get("a", 1); ok {
		t.Fatal("a not evicted")
	}
	if _, ok := c.Get("c", 1); !ok || c.Len() != 2 {
		t.Fatalf("c missing, len %d", c.Len())
	}
	if _, ok := NewCache(0).Get("a", 1); ok {
		t.Fatal("disabled cache hit")
	}
}

func FuzzVerify(f *testing.F) {
	k := newKeys(f)
	iss := k.issuer()
	lookup := func(s string) (shared.Issuer, bool) { return iss, true }
	f.Add(k.sign(f, map[string]any{"alg": "RS256", "kid": "r1"}, claims(nil)))
	f.Add(k.sign(f, map[string]any{"alg": "ES256"}, claims(map[string]any{"aud": "x"})))
	f.Add(b64(map[string]any{"alg": "none"}) + "." + b64(claims(nil)) + ".")
	f.Add("..")
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(tok, lookup)
		if err == nil {
			_ = c.CheckTime(1500, 60)
			_ = c.HasAudience("x")
		}
	})
}
