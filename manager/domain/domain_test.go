package domain_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
)

func TestDecodeCertificateFile(t *testing.T) {
	c := testcerts.New(testcerts.Spec{CommonName: "decode"})
	d := testcerts.New(testcerts.Spec{CommonName: "other"})
	cases := []struct {
		name     string
		data     []byte
		password string
		code     int64 // 0: ok
	}{
		{"ok/pem", testcerts.PEM(c.Cert.Raw), "", 0},
		{"ok/der", c.Cert.Raw, "", 0},
		{"ok/jks", testcerts.JKS("pw123456", c.Cert), "pw123456", 0},
		{"ok/pkcs12", testcerts.PKCS12Trust("pw", c.Cert), "pw", 0},
		{"fail/empty", []byte("  \n"), "", domain.CodeCertMalformed},
		{"fail/key", testcerts.KeyPEM(c.Key), "", domain.CodePrivateKeyRefused},
		{"fail/key-der", testcerts.KeyDER(c.Key), "", domain.CodePrivateKeyRefused},
		{"fail/two-pem", testcerts.PEM(c.Cert.Raw, d.Cert.Raw), "", domain.CodeMultipleCerts},
		{"fail/jks-key", testcerts.JKSWithKey("pw123456", c), "pw123456", domain.CodePrivateKeyRefused},
		{"fail/jks-password", testcerts.JKS("pw123456", c.Cert), "nope", domain.CodeKeystorePassword},
		{"fail/jks-empty", testcerts.JKS("pw123456"), "pw123456", domain.CodeCertMalformed},
		{"fail/pkcs12-key", testcerts.PKCS12WithKey("pw", c), "pw", domain.CodePrivateKeyRefused},
		{"fail/pkcs12-key-wrong-password", testcerts.PKCS12WithKey("pw", c), "nope", domain.CodeKeystorePassword},
		{"fail/pkcs12-password", testcerts.PKCS12Trust("pw", c.Cert), "nope", domain.CodeKeystorePassword},
		{"fail/jks-truncated", testcerts.JKS("pw123456", c.Cert)[:40], "pw123456", domain.CodeCertMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := domain.DecodeCertificateFile(tc.data, tc.password)
			if tc.code == 0 {
				if err != nil || cert.SerialNumber.Cmp(c.Cert.SerialNumber) != 0 {
					t.Fatalf("got %v, %v", cert, err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tc.code || de.Status != http.StatusBadRequest {
				t.Fatalf("got %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestValidateCertificate(t *testing.T) {
	now := time.Now()
	ca := testcerts.New(testcerts.Spec{CommonName: "ca", IsCA: true})
	cases := []struct {
		name string
		cert *x509.Certificate
		typ  domain.CertType
		code int64
	}{
		{"ok/leaf", testcerts.New(testcerts.Spec{}).Cert, domain.CertTypeClient, 0},
		{"ok/self-signed-ca-as-client", ca.Cert, domain.CertTypeClient, 0},
		{"ok/ca", ca.Cert, domain.CertTypeCA, 0},
		{"ok/issued-leaf", testcerts.New(testcerts.Spec{Parent: ca}).Cert, domain.CertTypeClient, 0},
		{"fail/expired", testcerts.New(testcerts.Spec{NotBefore: now.Add(-2 * time.Hour), NotAfter: now.Add(-time.Hour)}).Cert, domain.CertTypeClient, domain.CodeCertExpired},
		{"fail/not-yet-valid", testcerts.New(testcerts.Spec{NotBefore: now.Add(time.Hour)}).Cert, domain.CertTypeClient, domain.CodeCertNotYetValid},
		{"fail/leaf-as-ca", testcerts.New(testcerts.Spec{}).Cert, domain.CertTypeCA, domain.CodeCertUsage},
		{"fail/intermediate-as-client", testcerts.New(testcerts.Spec{IsCA: true, Parent: ca}).Cert, domain.CertTypeClient, domain.CodeCertUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := domain.ValidateCertificate(tc.cert, tc.typ, now)
			var de *domain.Error
			switch {
			case tc.code == 0 && err != nil:
				t.Fatal(err)
			case tc.code != 0 && (!errors.As(err, &de) || de.Code != tc.code):
				t.Fatalf("got %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestAPIValidate(t *testing.T) {
	base := func() domain.API {
		return domain.API{Name: "Pizza", Version: "1.0.0", Context: "pizzashack", ProductionEndpoint: "https://b.example/x"}
	}
	cases := []struct {
		name string
		mod  func(*domain.API)
		ok   bool
	}{
		{"ok/defaults", func(*domain.API) {}, true},
		{"ok/mutualssl-mandatory", func(a *domain.API) { a.SecurityScheme = []string{"mutualssl_mandatory", "mutualssl"} }, true},
		{"fail/mandatory-without-mutualssl", func(a *domain.API) { a.SecurityScheme = []string{"oauth2", "mutualssl_mandatory"} }, false},
		{"fail/no-name", func(a *domain.API) { a.Name = "" }, false},
		{"fail/endpoint-with-credentials", func(a *domain.API) { a.ProductionEndpoint = "https://u:p@b.example" }, false},
		{"fail/bad-version", func(a *domain.API) { a.Version = "1 0" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			tc.mod(&a)
			a.Normalize()
			if err := a.Validate(); (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if tc.ok && (a.Context != "/pizzashack" || a.Identifier() != "admin--Pizza:v1.0.0") {
				t.Fatalf("normalized %+v", a)
			}
		})
	}
}

func TestBroadcaster(t *testing.T) {
	b := domain.NewBroadcaster(3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	got := make(chan uint64)
	go func() { v, _ := b.WaitNewer(ctx, 3); got <- v }()
	b.Publish(2) // older: ignored
	b.Publish(4)
	if v := <-got; v != 4 {
		t.Fatalf("woke with %d", v)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, err := b.WaitNewer(short, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}
