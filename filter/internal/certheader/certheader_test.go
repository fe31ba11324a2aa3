package certheader

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testCert(t testing.TB) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestDecodeFormats(t *testing.T) {
	der := testCert(t)
	fp := sha256.Sum256(der)
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	oneLine := strings.ReplaceAll(strings.TrimSpace(p), "\n", "")
	spaced := strings.ReplaceAll(strings.TrimSpace(p), "\n", " ")
	b64 := base64.StdEncoding.EncodeToString(der)
	cases := []struct {
		name   string
		value  string
		format Format
		hasDER bool
	}{
		{"pem/newlines", p, FormatPEM, true},
		{"pem/one-line", oneLine, FormatPEM, true},
		{"pem/spaces", spaced, FormatPEM, true},
		{"pem/crlf", strings.ReplaceAll(p, "\n", "\r\n"), FormatPEM, true},
		{"url-pem/nginx", url.PathEscape(p), FormatURLPEM, true},
		{"url-pem/query-escape", url.QueryEscape(p), FormatURLPEM, true},
		{"url-pem/all-escaped-dashes", strings.ReplaceAll(url.PathEscape(p), "-", "%2D"), FormatURLPEM, true},
		{"base64/std", b64, FormatBase64DER, true},
		{"base64/raw", strings.TrimRight(b64, "="), FormatBase64DER, true},
		{"base64/url", base64.RawURLEncoding.EncodeToString(der), FormatBase64DER, true},
		{"rfc9440", ":" + b64 + ":", FormatRFC9440, true},
		{"xfcc/cert", `By=spiffe://lb;Hash=` + hex.EncodeToString(fp[:]) + `;Cert="` + url.QueryEscape(p) + `";Subject="CN=client";URI=`, FormatXFCCCert, true},
		{"xfcc/hash-only", `Hash=` + hex.EncodeToString(fp[:]) + `;Subject="CN=client"`, FormatXFCCHash, false},
		{"xfcc/first-element", `Hash=` + hex.EncodeToString(fp[:]) + `,By=x;Hash=` + strings.Repeat("00", 32), FormatXFCCHash, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode(c.value)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != c.format {
				t.Errorf("format %q, want %q", got.Format, c.format)
			}
			if got.Fingerprint != fp {
				t.Error("fingerprint differs")
			}
			if (got.DER != nil) != c.hasDER {
				t.Errorf("DER present=%v", got.DER != nil)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := map[string]string{
		"empty":           "  ",
		"garbage":         "not a certificate!",
		"base64-not-der":  base64.StdEncoding.EncodeToString([]byte("hello world")),
		"pem-no-end":      "-----BEGIN CERTIFICATE-----MIIB",
		"bad-percent":     "-----BEGIN%20CERTIFICATE-----%zz",
		"xfcc-unclosed":   `Hash=abc;Cert="-----BEGIN`,
		"xfcc-short-hash": `Hash=abcd`,
		"rfc9440-empty":   "::",
		"too-long":        strings.Repeat("A", MaxLen+1),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			if c, err := Decode(v); err == nil {
				t.Fatalf("accepted as %q", c.Format)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	der := testCert(f)
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	b64 := base64.StdEncoding.EncodeToString(der)
	for _, s := range []string{p, url.QueryEscape(p), b64, ":" + b64 + ":", `Hash=` + strings.Repeat("ab", 32) + `;Cert="` + url.QueryEscape(p) + `"`,
		`By=a;Cert="\"";Hash=x`, "%", "-----BEGIN%", ":", "Hash=", `Cert="`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := Decode(v)
		if err != nil {
			return
		}
		if c.DER != nil && sha256.Sum256(c.DER) != c.Fingerprint {
			t.Fatal("fingerprint does not match DER")
		}
	})
}
