package x509lite

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

type issued struct {
	der  []byte
	cert *x509.Certificate
	key  crypto.Signer
}

func mustKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCert(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *issued) *issued {
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
	return &issued{der: der, cert: c, key: key}
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{"certgate"}},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(2000000000, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, SubjectKeyId: []byte{1, 2, 3, 4}}
}

func leafTemplate(cn string, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn, Country: []string{"LK"}},
		NotBefore: time.Unix(1700000000, 0), NotAfter: notAfter, DNSNames: []string{"client.example"}}
}

func TestParseMatchesCryptoX509(t *testing.T) {
	for _, kind := range []string{"rsa", "p256", "p384"} {
		t.Run(kind, func(t *testing.T) {
			ca := mustCert(t, caTemplate("Test CA "+kind), mustKey(t, kind), nil)
			leaf := mustCert(t, leafTemplate("client-"+kind, time.Date(2051, 1, 2, 3, 4, 5, 0, time.UTC)), mustKey(t, "p256"), ca)
			c, err := Parse(leaf.der)
			if err != nil {
				t.Fatal(err)
			}
			if c.CN != "client-"+kind {
				t.Errorf("CN %q", c.CN)
			}
			if c.NotAfter != leaf.cert.NotAfter.Unix() || c.NotBefore != leaf.cert.NotBefore.Unix() {
				t.Errorf("validity %d..%d, want %d..%d", c.NotBefore, c.NotAfter, leaf.cert.NotBefore.Unix(), leaf.cert.NotAfter.Unix())
			}
			if !bytes.Equal(c.Issuer, leaf.cert.RawIssuer) || !bytes.Equal(c.Subject, leaf.cert.RawSubject) {
				t.Error("issuer/subject DER differ")
			}
			if !bytes.Equal(c.AuthorityKeyID, ca.cert.SubjectKeyId) {
				t.Errorf("AKI %x, want %x", c.AuthorityKeyID, ca.cert.SubjectKeyId)
			}
			if !bytes.Equal(c.RawTBS, leaf.cert.RawTBSCertificate) || !bytes.Equal(c.SPKI, leaf.cert.RawSubjectPublicKeyInfo) {
				t.Error("TBS/SPKI differ")
			}
			if Fingerprint(leaf.der) != sha256.Sum256(leaf.der) {
				t.Error("fingerprint")
			}
			caParsed, err := Parse(ca.der)
			if err != nil || !bytes.Equal(caParsed.SubjectKeyID, []byte{1, 2, 3, 4}) {
				t.Fatalf("CA SKI %x %v", caParsed.SubjectKeyID, err)
			}
			if err := c.CheckSignatureFrom(ca.cert.RawSubjectPublicKeyInfo); err != nil {
				t.Errorf("signature from the issuing CA: %v", err)
			}
			other := mustCert(t, caTemplate("Other CA"), mustKey(t, kind), nil)
			if err := c.CheckSignatureFrom(other.cert.RawSubjectPublicKeyInfo); err == nil {
				t.Error("signature verified against a different CA")
			}
			tampered := append([]byte(nil), leaf.der...)
			tampered[len(tampered)-5] ^= 0xff
			if tc, err := Parse(tampered); err == nil && tc.CheckSignatureFrom(ca.cert.RawSubjectPublicKeyInfo) == nil {
				t.Error("tampered signature verified")
			}
		})
	}
}

func TestParseTimes(t *testing.T) {
	cases := []struct {
		name string
		e    element
		want int64
		ok   bool
	}{
		{"utc-2049", element{tag: tagUTCTime, content: []byte("491231235959Z")}, time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC).Unix(), true},
		{"utc-1950", element{tag: tagUTCTime, content: []byte("500101000000Z")}, time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"generalized", element{tag: tagGenTime, content: []byte("20510102030405Z")}, time.Date(2051, 1, 2, 3, 4, 5, 0, time.UTC).Unix(), true},
		{"no-z", element{tag: tagUTCTime, content: []byte("4912312359590")}, 0, false},
		{"month-13", element{tag: tagUTCTime, content: []byte("491331235959Z")}, 0, false},
		{"letters", element{tag: tagGenTime, content: []byte("20a10102030405Z")}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseTime(c.e)
			if (err == nil) != c.ok || got != c.want {
				t.Fatalf("got %d, %v", got, err)
			}
		})
	}
}

func TestRejectsWeakKeys(t *testing.T) {
	if _, err := RSAPublicKey(make([]byte, 128), 65537); err == nil {
		t.Fatal("1024-bit RSA accepted")
	}
	n := bytes.Repeat([]byte{0xff}, 256)
	if _, err := RSAPublicKey(n, 2); err == nil {
		t.Fatal("even exponent accepted")
	}
	if _, err := ECPublicKeyXY(elliptic.P256(), make([]byte, 32), make([]byte, 32)); err == nil {
		t.Fatal("point not on curve accepted")
	}
}

func FuzzParse(f *testing.F) {
	ca := mustCert(f, caTemplate("Fuzz CA"), mustKey(f, "p256"), nil)
	leaf := mustCert(f, leafTemplate("fuzz", time.Unix(1900000000, 0)), mustKey(f, "p256"), ca)
	f.Add(leaf.der)
	f.Add(ca.der)
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		_ = c.CheckSignatureFrom(ca.cert.RawSubjectPublicKeyInfo)
		_ = c.CheckSignatureFrom(b)
		if len(c.SPKI) > 0 {
			_ = c.CheckSignatureFrom(c.SPKI)
		}
	})
}
