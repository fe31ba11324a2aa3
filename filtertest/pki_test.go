package filtertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/shared"
)

// t0 is the manual clock's start; certificates are valid around it.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var serial atomic.Int64

// issued is a certificate and its key.
type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (i *issued) fingerprint() string {
	s := sha256.Sum256(i.cert.Raw)
	return hex.EncodeToString(s[:])
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newCA makes a self-signed CA certificate with a subject key id.
func newCA(t testing.TB, cn string) *issued {
	t.Helper()
	k := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn, Organization: []string{"certgate tests"}},
		NotBefore: t0.Add(-365 * 24 * time.Hour), NotAfter: t0.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	return sign(t, tmpl, k, nil)
}

// newLeaf makes a client certificate signed by ca, valid from notBefore to notAfter.
func newLeaf(t testing.TB, ca *issued, cn string, notBefore, notAfter time.Time) *issued {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn, Organization: []string{"clients"}},
		NotBefore: notBefore, NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames: []string{cn + ".example"}}
	return sign(t, tmpl, newKey(t), ca)
}

func sign(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *issued) *issued {
	t.Helper()
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: c, key: key}
}

// caRecord is what the manager publishes for a CA uploaded for an API.
func caRecord(apiID, alias, tier string, ca *issued) shared.CACert {
	sum := sha256.Sum256(ca.cert.RawSubject)
	return shared.CACert{APIID: apiID, SubjectKeyID: hex.EncodeToString(ca.cert.SubjectKeyId), SubjectHash: hex.EncodeToString(sum[:]),
		Alias: alias, Subject: ca.cert.Subject.String(), Tier: tier, NotAfter: ca.cert.NotAfter.Unix(), PublicKey: ca.cert.RawSubjectPublicKeyInfo}
}

// certRecord is what the manager publishes for a client certificate pinned on an API.
func certRecord(apiID, alias, tier string, c *issued) shared.ClientCert {
	return shared.ClientCert{APIID: apiID, Fingerprint: c.fingerprint(), Alias: alias, CN: c.cert.Subject.CommonName,
		Tier: tier, NotAfter: c.cert.NotAfter.Unix()}
}

// idp is a token issuer with an RSA and an EC key.
type idp struct {
	iss string
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func newIDP(t testing.TB, iss string) *idp {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &idp{iss: iss, rsa: r, ec: newKey(t)}
}

func (p *idp) record() shared.Issuer {
	x, y := make([]byte, 32), make([]byte, 32)
	p.ec.X.FillBytes(x)
	p.ec.Y.FillBytes(y)
	return shared.Issuer{Issuer: p.iss, Keys: []shared.JWK{
		{Kid: "rsa-1", Alg: shared.AlgRS256, N: p.rsa.N.Bytes(), E: uint64(p.rsa.E)},
		{Kid: "ec-1", Alg: shared.AlgES256, X: x, Y: y},
	}}
}

func b64json(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// token signs claims with alg ("RS256", "ES256"; anything else: no signature).
func (p *idp) token(t testing.TB, alg string, claims map[string]any) string {
	t.Helper()
	kid := map[string]string{"RS256": "rsa-1", "ES256": "ec-1"}[alg]
	in := b64json(map[string]any{"alg": alg, "typ": "JWT", "kid": kid}) + "." + b64json(claims)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	switch alg {
	case "RS256":
		s, err := rsa.SignPKCS1v15(rand.Reader, p.rsa, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, p.ec, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// claims returns valid claims for aud at t0, with overrides (nil deletes).
func (p *idp) claims(aud any, over map[string]any) map[string]any {
	c := map[string]any{"iss": p.iss, "sub": "alice", "azp": "app-1", "aud": aud,
		"iat": t0.Unix(), "nbf": t0.Add(-time.Minute).Unix(), "exp": t0.Add(time.Hour).Unix()}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// newLeafWithKey is newLeaf with a given key (cheap bulk certificates).
func newLeafWithKey(t testing.TB, ca *issued, cn string, key *ecdsa.PrivateKey) *issued {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0.Add(-24 * time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour)}
	return sign(t, tmpl, key, ca)
}
