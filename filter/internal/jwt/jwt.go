// Package jwt verifies OAuth2 bearer tokens (JWS compact serialisation)
// signed with RS256 or ES256 against a trusted issuer's keys from shared
// data. Only those two algorithms are accepted, and only when the key
// selected for the token declares the same algorithm, so "alg":"none",
// HMAC-with-a-public-key and algorithm-confusion tokens are rejected.
// Parsing is bounds-checked and fuzzed; JSON is read with gjson.
package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/certgate/certgate/filter/internal/x509lite"
	"github.com/certgate/certgate/shared"
)

// MaxTokenLen bounds the tokens the filter will look at.
const MaxTokenLen = 8 << 10

// Verification errors.
var (
	ErrMalformed     = errors.New("jwt: malformed token")
	ErrAlgorithm     = errors.New("jwt: algorithm not accepted")
	ErrUnknownIssuer = errors.New("jwt: issuer not trusted")
	ErrNoKey         = errors.New("jwt: no matching key")
	ErrSignature     = errors.New("jwt: bad signature")
	ErrExpired       = errors.New("jwt: token expired")
	ErrNotYetValid   = errors.New("jwt: token not yet valid")
	ErrNoExpiry      = errors.New("jwt: token has no exp")
	ErrAudience      = errors.New("jwt: audience does not match")
)

// Claims are the claims the filter uses.
type Claims struct {
	Issuer   string
	Subject  string
	ClientID string
	Audience []string
	Exp      int64
	Nbf      int64
}

// HasAudience reports whether the token's aud contains any of the non-empty values.
func (c *Claims) HasAudience(values ...string) bool {
	for _, a := range c.Audience {
		for _, v := range values {
			if v != "" && a == v {
				return true
			}
		}
	}
	return false
}

// CheckTime checks exp and nbf against now (Unix seconds) with skew seconds of tolerance.
func (c *Claims) CheckTime(now, skew int64) error {
	if now > c.Exp+skew {
		return ErrExpired
	}
	if c.Nbf != 0 && now+skew < c.Nbf {
		return ErrNotYetValid
	}
	return nil
}

// IssuerLookup returns a trusted issuer's keys by exact iss value.
type IssuerLookup func(iss string) (shared.Issuer, bool)

// Verify checks the token's signature against its issuer's keys and
// returns its claims. It does not check time or audience (see CheckTime
// and HasAudience) so a cached verification can be re-checked cheaply.
func Verify(token string, lookup IssuerLookup) (Claims, error) {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return Claims{}, ErrMalformed
	}
	d1 := strings.IndexByte(token, '.')
	if d1 <= 0 {
		return Claims{}, ErrMalformed
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 <= 0 {
		return Claims{}, ErrMalformed
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		return Claims{}, ErrMalformed
	}
	header, err := base64.RawURLEncoding.DecodeString(token[:d1])
	if err != nil || !gjson.ValidBytes(header) {
		return Claims{}, ErrMalformed
	}
	alg := gjson.GetBytes(header, "alg")
	if alg.Type != gjson.String || (alg.Str != shared.AlgRS256 && alg.Str != shared.AlgES256) {
		return Claims{}, ErrAlgorithm
	}
	kid := gjson.GetBytes(header, "kid").String()
	payload, err := base64.RawURLEncoding.DecodeString(token[d1+1 : d2])
	if err != nil || !gjson.ValidBytes(payload) {
		return Claims{}, ErrMalformed
	}
	claims, err := parseClaims(payload)
	if err != nil {
		return Claims{}, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[d2+1:])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	iss, ok := lookup(claims.Issuer)
	if !ok {
		return Claims{}, ErrUnknownIssuer
	}
	digest := sha256.Sum256([]byte(token[:d2]))
	tried := false
	for i := range iss.Keys {
		k := &iss.Keys[i]
		if k.Alg != alg.Str || (kid != "" && k.Kid != kid) {
			continue
		}
		tried = true
		if verifyWith(k, digest[:], sig) {
			return claims, nil
		}
	}
	if !tried {
		return Claims{}, ErrNoKey
	}
	return Claims{}, ErrSignature
}

func verifyWith(k *shared.JWK, digest, sig []byte) bool {
	switch k.Alg {
	case shared.AlgRS256:
		pub, err := x509lite.RSAPublicKey(k.N, k.E)
		if err != nil {
			return false
		}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	case shared.AlgES256:
		if len(sig) != 64 {
			return false
		}
		pub, err := x509lite.ECPublicKeyXY(elliptic.P256(), k.X, k.Y)
		if err != nil {
			return false
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pub, digest, r, s)
	}
	return false
}

func parseClaims(payload []byte) (Claims, error) {
	r := gjson.ParseBytes(payload)
	if !r.IsObject() {
		return Claims{}, ErrMalformed
	}
	var c Claims
	iss := r.Get("iss")
	if iss.Type != gjson.String || iss.Str == "" {
		return Claims{}, ErrUnknownIssuer
	}
	c.Issuer = iss.Str
	c.Subject = r.Get("sub").String()
	for _, name := range []string{"azp", "client_id", "cid"} {
		if v := r.Get(name); v.Type == gjson.String && v.Str != "" {
			c.ClientID = v.Str
			break
		}
	}
	if c.ClientID == "" {
		c.ClientID = c.Subject
	}
	aud := r.Get("aud")
	switch {
	case aud.Type == gjson.String:
		c.Audience = []string{aud.Str}
	case aud.IsArray():
		aud.ForEach(func(_, v gjson.Result) bool {
			if v.Type == gjson.String && len(c.Audience) < 32 {
				c.Audience = append(c.Audience, v.Str)
			}
			return true
		})
	}
	exp := r.Get("exp")
	if exp.Type != gjson.Number {
		return Claims{}, ErrNoExpiry
	}
	c.Exp = int64(exp.Num)
	if nbf := r.Get("nbf"); nbf.Type == gjson.Number {
		c.Nbf = int64(nbf.Num)
	}
	return c, nil
}
