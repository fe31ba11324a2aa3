package domain_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
)

func TestParseServer(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"ok/dns", "Backend.Example.com:8443", "backend.example.com:8443"},
		{"ok/ipv4", "10.0.0.1:443", "10.0.0.1:443"},
		{"ok/ipv6", "[2001:DB8::1]:9444", "[2001:db8::1]:9444"},
		{"ok/localhost", "localhost:9444", "localhost:9444"},
		{"fail/no-port", "backend.example.com", ""},
		{"fail/port-zero", "b:0", ""},
		{"fail/port-leading-zero", "b:0443", ""},
		{"fail/port-range", "b:65536", ""},
		{"fail/empty-host", ":443", ""},
		{"fail/url", "https://b:443", ""},
		{"fail/bad-label", "-b.example:443", ""},
		{"fail/ipv6-zone", "[fe80::1%eth0]:443", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := domain.ParseServer(tc.in)
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Fatalf("ParseServer(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}

func TestEndpointServer(t *testing.T) {
	cases := []struct {
		name, url, server string
		https, ok         bool
	}{
		{"ok/https-default-port", "https://Orders.example.com/v1", "orders.example.com:443", true, true},
		{"ok/http-default-port", "http://10.0.0.1/x", "10.0.0.1:80", false, true},
		{"ok/explicit-port", "https://b.example:8443", "b.example:8443", true, true},
		{"ok/ipv6", "https://[::1]:9443/", "[::1]:9443", true, true},
		{"fail/ftp", "ftp://b.example/", "", false, false},
		{"fail/relative", "/x", "", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, https, ok := domain.EndpointServer(tc.url)
			if s != tc.server || https != tc.https || ok != tc.ok {
				t.Fatalf("EndpointServer(%q) = %q %v %v", tc.url, s, https, ok)
			}
		})
	}
}

func TestProfileValidate(t *testing.T) {
	ca := testcerts.New(testcerts.Spec{CommonName: "ca", IsCA: true})
	base := func() domain.BackendProfile {
		return domain.BackendProfile{Name: "p", Servers: []string{"B.example:443"}, TrustStore: []domain.TrustedCertificate{domain.NewTrustedCertificate(ca.Cert)}}
	}
	cases := []struct {
		name string
		mod  func(*domain.BackendProfile)
		code int64
	}{
		{"ok/defaults", func(*domain.BackendProfile) {}, 0},
		{"ok/versions", func(p *domain.BackendProfile) { p.TLSMinVersion, p.TLSMaxVersion = "1.2", "tlsv1.3" }, 0},
		{"fail/name", func(p *domain.BackendProfile) { p.Name = "-x" }, domain.CodeValidation},
		{"fail/no-servers", func(p *domain.BackendProfile) { p.Servers = nil }, domain.CodeValidation},
		{"fail/duplicate-server", func(p *domain.BackendProfile) { p.Servers = []string{"b.example:443", "B.EXAMPLE:443"} }, domain.CodeValidation},
		{"fail/no-trust", func(p *domain.BackendProfile) { p.TrustStore = nil }, domain.CodeTrustStoreMissing},
		{"fail/sni-ip", func(p *domain.BackendProfile) { p.SNI = "10.1.1.1" }, domain.CodeValidation},
		{"fail/hostname-mode", func(p *domain.BackendProfile) { p.HostnameVerification = "none" }, domain.CodeValidation},
		{"fail/tls-1.0", func(p *domain.BackendProfile) { p.TLSMinVersion = "TLSv1" }, domain.CodeValidation},
		{"fail/min-above-max", func(p *domain.BackendProfile) { p.TLSMinVersion, p.TLSMaxVersion = "TLSv1_3", "TLSv1_2" }, domain.CodeValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.mod(&p)
			p.Normalize()
			err := p.Validate()
			if tc.code == 0 {
				if err != nil || p.Servers[0] != "b.example:443" || p.HostnameVerification != domain.HostnameStrict {
					t.Fatalf("%+v %v", p, err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("got %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestDecodeKeyStore(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := testcerts.New(testcerts.Spec{CommonName: "ca", IsCA: true})
	leaf := testcerts.New(testcerts.Spec{CommonName: "gw", Key: key, Parent: ca})
	pair := &testcerts.Cert{Cert: leaf.Cert, Key: key}
	rsaKey := testcerts.RSAKey(2048)
	rsaLeaf := testcerts.New(testcerts.Spec{CommonName: "rsa", Key: rsaKey})
	now := time.Now()
	cases := []struct {
		name      string
		data, key []byte
		password  string
		chain     int
		code      int64
	}{
		{"ok/pem-one-file-with-chain", append(testcerts.PEM(leaf.Cert.Raw, ca.Cert.Raw), testcerts.KeyPEM(key)...), nil, "", 2, 0},
		{"ok/pem-split", testcerts.PEM(leaf.Cert.Raw), testcerts.KeyPEM(key), "", 1, 0},
		{"ok/rsa-pkcs1", testcerts.PEM(rsaLeaf.Cert.Raw), pkcs1PEM(rsaKey), "", 1, 0},
		{"ok/jks", testcerts.JKSWithKey("changeit", pair), nil, "changeit", 1, 0},
		{"ok/pkcs12", testcerts.PKCS12WithKey("pw", pair), nil, "pw", 1, 0},
		{"ok/pkcs12-chain-ordered", pkcs12Chain(t, key, leaf.Cert, rsaLeaf.Cert, ca.Cert), nil, "pw", 2, 0},
		{"fail/chain-out-of-order", append(testcerts.PEM(leaf.Cert.Raw, rsaLeaf.Cert.Raw), testcerts.KeyPEM(key)...), nil, "", 0, domain.CodeKeyStoreInvalid},
		{"fail/mismatch", testcerts.PEM(leaf.Cert.Raw), testcerts.KeyPEM(other), "", 0, domain.CodeKeyMismatch},
		{"fail/no-key", testcerts.PEM(leaf.Cert.Raw), nil, "", 0, domain.CodeKeyStoreInvalid},
		{"fail/no-cert", testcerts.KeyPEM(key), nil, "", 0, domain.CodeKeyStoreInvalid},
		{"fail/jks-password", testcerts.JKSWithKey("changeit", pair), nil, "nope", 0, domain.CodeKeystorePassword},
		{"fail/pkcs12-password", testcerts.PKCS12WithKey("pw", pair), nil, "nope", 0, domain.CodeKeystorePassword},
		{"fail/pkcs12-with-key-file", testcerts.PKCS12WithKey("pw", pair), testcerts.KeyPEM(key), "pw", 0, domain.CodeKeyStoreInvalid},
		{"fail/garbage", []byte{1, 2, 3}, nil, "", 0, domain.CodeCertMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := domain.DecodeKeyStore(tc.data, tc.key, tc.password, now)
			if tc.code == 0 {
				if err != nil || len(ks.ChainDER) != tc.chain || len(ks.KeyPKCS8) == 0 {
					t.Fatalf("%+v %v", ks, err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("got %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestDecodeTrustStore(t *testing.T) {
	a := testcerts.New(testcerts.Spec{CommonName: "a", IsCA: true})
	b := testcerts.New(testcerts.Spec{CommonName: "b", IsCA: true})
	now := time.Now()
	cases := []struct {
		name     string
		data     []byte
		password string
		n        int
		code     int64
	}{
		{"ok/pem-two", testcerts.PEM(a.Cert.Raw, b.Cert.Raw), "", 2, 0},
		{"ok/der-concatenated", append(append([]byte{}, a.Cert.Raw...), b.Cert.Raw...), "", 2, 0},
		{"ok/jks", testcerts.JKS("changeit", a.Cert, b.Cert), "changeit", 2, 0},
		{"ok/pkcs12", testcerts.PKCS12Trust("pw", a.Cert), "pw", 1, 0},
		{"fail/pem-key", append(testcerts.PEM(a.Cert.Raw), testcerts.KeyPEM(a.Key)...), "", 0, domain.CodePrivateKeyRefused},
		{"fail/jks-key", testcerts.JKSWithKey("changeit", a), "changeit", 0, domain.CodePrivateKeyRefused},
		{"fail/pkcs12-key", testcerts.PKCS12WithKey("pw", a), "pw", 0, domain.CodePrivateKeyRefused},
		{"fail/jks-empty", testcerts.JKS("changeit"), "changeit", 0, domain.CodeCertMalformed},
		{"fail/jks-password", testcerts.JKS("changeit", a.Cert), "x", 0, domain.CodeKeystorePassword},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			certs, err := domain.DecodeTrustStore(tc.data, tc.password, now)
			if tc.code == 0 {
				if err != nil || len(certs) != tc.n {
					t.Fatalf("%d certs, %v", len(certs), err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("got %v, want code %d", err, tc.code)
			}
		})
	}
}

func pkcs1PEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// pkcs12Chain encodes key and leaf with cas in the given (any) order.
func pkcs12Chain(t *testing.T, key any, leaf *x509.Certificate, cas ...*x509.Certificate) []byte {
	t.Helper()
	b, err := pkcs12.Modern.Encode(key, leaf, cas, "pw")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
