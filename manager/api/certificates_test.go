package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
)

func certsPath(apiID string) string { return "/apis/" + apiID + "/client-certificates" }

func mustUpload(t *testing.T, e *env, apiID, alias, tier string, file []byte, extra ...string) {
	t.Helper()
	fields := map[string]string{"alias": alias, "tier": tier}
	for i := 0; i+1 < len(extra); i += 2 {
		fields[extra[i]] = extra[i+1]
	}
	r := e.upload(http.MethodPost, certsPath(apiID), fields, alias+".crt", file)
	if r.status != http.StatusOK {
		t.Fatalf("upload %s: %d %s", alias, r.status, r.body)
	}
}

// TestUploadBadInput covers every refused upload of issue item 5: each must
// answer the right 4xx and code and leave the store exactly as it was.
func TestUploadBadInput(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI("PizzaShack", "/pizzashack", "1.0.0")
	existing := testcerts.New(testcerts.Spec{CommonName: "existing"})
	mustUpload(t, e, apiID, "existing", "Gold", testcerts.PEM(existing.Cert.Raw))

	good := testcerts.New(testcerts.Spec{CommonName: "good"})
	goodPEM := testcerts.PEM(good.Cert.Raw)
	other := testcerts.New(testcerts.Spec{CommonName: "other"})
	now := time.Now()
	expired := testcerts.New(testcerts.Spec{CommonName: "expired", NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	future := testcerts.New(testcerts.Spec{CommonName: "future", NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)})
	weak := testcerts.New(testcerts.Spec{CommonName: "weak", Key: testcerts.RSAKey(1024)})
	p224 := must(ecdsa.GenerateKey(elliptic.P224(), rand.Reader))
	unsupported := testcerts.New(testcerts.Spec{CommonName: "p224", Key: p224})
	ca := testcerts.New(testcerts.Spec{CommonName: "test CA", IsCA: true})
	intermediate := testcerts.New(testcerts.Spec{CommonName: "intermediate", IsCA: true, Parent: ca})
	serverOnly := testcerts.New(testcerts.Spec{CommonName: "server", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	leaf := testcerts.New(testcerts.Spec{CommonName: "leaf", Parent: ca})

	type tc struct {
		name   string
		apiID  string // default apiID
		fields map[string]string
		file   []byte
		noFile bool
		raw    func() response // replaces the multipart upload
		status int
		code   int64
	}
	fields := func(kv ...string) map[string]string {
		m := map[string]string{"alias": "new-alias", "tier": "Gold"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []tc{
		{name: "fail/malformed-pem", file: []byte("-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n"), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/pem-not-x509", file: testcerts.PEM([]byte("definitely not DER")), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/pem-wrong-block", file: []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/malformed-der", file: append([]byte{0x30, 0x82, 0x01, 0x00}, bytes.Repeat([]byte{0x01}, 40)...), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/truncated-der", file: good.Cert.Raw[:len(good.Cert.Raw)/2], status: 400, code: domain.CodeCertMalformed},
		{name: "fail/empty-file", file: []byte{}, status: 400, code: domain.CodeCertMalformed},
		{name: "fail/text-file", file: []byte("hello, I am not a certificate\n"), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/private-key-with-cert-pem", file: append(append([]byte{}, goodPEM...), testcerts.KeyPEM(good.Key)...), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/private-key-only-pem", file: testcerts.KeyPEM(good.Key), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/private-key-der", file: testcerts.KeyDER(good.Key), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/private-key-jks", file: testcerts.JKSWithKey("changeit", good), fields: fields("password", "changeit"), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/private-key-pkcs12", file: testcerts.PKCS12WithKey("changeit", good), fields: fields("password", "changeit"), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/two-certs-pem", file: testcerts.PEM(good.Cert.Raw, other.Cert.Raw), status: 400, code: domain.CodeMultipleCerts},
		{name: "fail/two-certs-der", file: append(append([]byte{}, good.Cert.Raw...), other.Cert.Raw...), status: 400, code: domain.CodeMultipleCerts},
		{name: "fail/two-certs-jks", file: testcerts.JKS("changeit", good.Cert, other.Cert), fields: fields("password", "changeit"), status: 400, code: domain.CodeMultipleCerts},
		{name: "fail/two-certs-pkcs12", file: testcerts.PKCS12Trust("changeit", good.Cert, other.Cert), fields: fields("password", "changeit"), status: 400, code: domain.CodeMultipleCerts},
		{name: "fail/expired-cert", file: testcerts.PEM(expired.Cert.Raw), status: 400, code: domain.CodeCertExpired},
		{name: "fail/not-yet-valid-cert", file: testcerts.PEM(future.Cert.Raw), status: 400, code: domain.CodeCertNotYetValid},
		{name: "fail/rsa-1024", file: testcerts.PEM(weak.Cert.Raw), status: 400, code: domain.CodeWeakKey},
		{name: "fail/unsupported-key-p224", file: testcerts.PEM(unsupported.Cert.Raw), status: 400, code: domain.CodeUnsupportedKey},
		{name: "fail/body-over-64KiB", file: append(append([]byte{}, goodPEM...), bytes.Repeat([]byte("\n"), 65<<10)...), status: 413, code: domain.CodeBodyTooLarge},
		{name: "fail/alias-empty", fields: fields("alias", ""), file: goodPEM, status: 400, code: domain.CodeInvalidAlias},
		{name: "fail/alias-46-chars", fields: fields("alias", strings.Repeat("a", 46)), file: goodPEM, status: 400, code: domain.CodeInvalidAlias},
		{name: "fail/alias-space", fields: fields("alias", "my alias"), file: goodPEM, status: 400, code: domain.CodeInvalidAlias},
		{name: "fail/alias-slash", fields: fields("alias", "a/b"), file: goodPEM, status: 400, code: domain.CodeInvalidAlias},
		{name: "fail/alias-non-ascii", fields: fields("alias", "café"), file: goodPEM, status: 400, code: domain.CodeInvalidAlias},
		{name: "fail/duplicate-alias", fields: fields("alias", "existing"), file: goodPEM, status: 409, code: domain.CodeAliasExists},
		{name: "fail/same-cert-other-alias", file: testcerts.PEM(existing.Cert.Raw), status: 409, code: domain.CodeCertAlreadyBound},
		{name: "fail/same-cert-other-alias-as-der", file: existing.Cert.Raw, status: 409, code: domain.CodeCertAlreadyBound},
		{name: "fail/unknown-tier", fields: fields("tier", "Platinum"), file: goodPEM, status: 400, code: domain.CodeTierNotFound},
		{name: "fail/unknown-api", apiID: "9b0d6a8e-0000-4000-8000-000000000000", file: goodPEM, status: 404, code: domain.CodeAPINotFound},
		{name: "fail/wrong-jks-password", file: testcerts.JKS("changeit", good.Cert), fields: fields("password", "wrong"), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/missing-jks-password", file: testcerts.JKS("changeit", good.Cert), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/wrong-pkcs12-password", file: testcerts.PKCS12Trust("changeit", good.Cert), fields: fields("password", "wrong"), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/missing-certificate-field", noFile: true, status: 400, code: domain.CodeCertMissing},
		{name: "fail/unknown-type", fields: fields("type", "server"), file: goodPEM, status: 400, code: domain.CodeValidation},
		{name: "fail/leaf-uploaded-as-ca", fields: fields("type", "ca"), file: testcerts.PEM(leaf.Cert.Raw), status: 400, code: domain.CodeCertUsage},
		{name: "fail/intermediate-ca-as-client", file: testcerts.PEM(intermediate.Cert.Raw), status: 400, code: domain.CodeCertUsage},
		{name: "fail/server-auth-only-eku", file: testcerts.PEM(serverOnly.Cert.Raw), status: 400, code: domain.CodeCertUsage},
		{name: "fail/body-over-64KiB-chunked", raw: func() response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("alias", "chunked")
			fw, _ := mw.CreateFormFile("certificate", "big.crt")
			fw.Write(append(append([]byte{}, goodPEM...), bytes.Repeat([]byte("\n"), 65<<10)...))
			mw.Close()
			// io.MultiReader hides the length: the client streams it chunked.
			return e.do(http.MethodPost, v4(certsPath(apiID)), mw.FormDataContentType(), io.MultiReader(&buf))
		}, status: 413, code: domain.CodeBodyTooLarge},
		{name: "fail/not-multipart", raw: func() response {
			return e.sendJSON(http.MethodPost, certsPath(apiID), `{"alias":"x"}`)
		}, status: 400, code: domain.CodeBadRequest},
		{name: "fail/missing-token", raw: func() response {
			tok := e.token
			e.token = ""
			defer func() { e.token = tok }()
			return e.upload(http.MethodPost, certsPath(apiID), fields(), "c.crt", goodPEM)
		}, status: 401, code: domain.CodeMissingCredentials},
		{name: "fail/wrong-token", raw: func() response {
			tok := e.token
			e.token = "not-the-token"
			defer func() { e.token = tok }()
			return e.upload(http.MethodPost, certsPath(apiID), fields(), "c.crt", goodPEM)
		}, status: 401, code: domain.CodeInvalidCredentials},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(apiID)
			var r response
			switch {
			case c.raw != nil:
				r = c.raw()
			default:
				target := apiID
				if c.apiID != "" {
					target = c.apiID
				}
				f := c.fields
				if f == nil {
					f = fields()
				}
				file := c.file
				if c.noFile {
					file = nil
				} else if file == nil {
					t.Fatal("test case without file")
				}
				r = e.upload(http.MethodPost, certsPath(target), f, "upload.crt", file)
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

// TestUploadFormats uploads every accepted format and key kind and checks
// what the manager derived from the certificate.
func TestUploadFormats(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI("Formats", "/formats", "v1")
	rsaSelfSigned := testcerts.New(testcerts.Spec{CommonName: "openssl-like", Key: testcerts.RSAKey(2048), IsCA: true})
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ed := testcerts.New(testcerts.Spec{CommonName: "ed", Key: edKey})
	ca := testcerts.New(testcerts.Spec{CommonName: "partner CA", IsCA: true})
	clientEKU := testcerts.New(testcerts.Spec{CommonName: "eku", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	c := func(cn string) *testcerts.Cert { return testcerts.New(testcerts.Spec{CommonName: cn}) }
	pemC, derC, jksC, p12C, crlfC, nopassP12 := c("pem"), c("der"), c("jks"), c("p12"), c("crlf"), c("nopass")
	cases := []struct {
		name    string
		cert    *x509.Certificate
		file    []byte
		extra   []string
		typ     string
		keyType string
		keySize int
	}{
		{name: "ok/pem", cert: pemC.Cert, file: testcerts.PEM(pemC.Cert.Raw), typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/pem-crlf-and-text", cert: crlfC.Cert, file: append([]byte("Subject: crlf\r\n"), bytes.ReplaceAll(testcerts.PEM(crlfC.Cert.Raw), []byte("\n"), []byte("\r\n"))...), typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/der", cert: derC.Cert, file: derC.Cert.Raw, typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/jks", cert: jksC.Cert, file: testcerts.JKS("changeit", jksC.Cert), extra: []string{"password", "changeit"}, typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/pkcs12", cert: p12C.Cert, file: testcerts.PKCS12Trust("changeit", p12C.Cert), extra: []string{"password", "changeit"}, typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/pkcs12-empty-password", cert: nopassP12.Cert, file: testcerts.PKCS12Trust("", nopassP12.Cert), typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/self-signed-rsa-ca-flag", cert: rsaSelfSigned.Cert, file: testcerts.PEM(rsaSelfSigned.Cert.Raw), typ: "client", keyType: "RSA", keySize: 2048},
		{name: "ok/ed25519", cert: ed.Cert, file: testcerts.PEM(ed.Cert.Raw), typ: "client", keyType: "Ed25519", keySize: 256},
		{name: "ok/client-auth-eku", cert: clientEKU.Cert, file: testcerts.PEM(clientEKU.Cert.Raw), typ: "client", keyType: "ECDSA", keySize: 256},
		{name: "ok/type-ca", cert: ca.Cert, file: testcerts.PEM(ca.Cert.Raw), extra: []string{"type", "ca"}, typ: "ca", keyType: "ECDSA", keySize: 256},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alias := fmt.Sprintf("alias-%d", i)
			mustUpload(t, e, apiID, alias, "Silver", tc.file, tc.extra...)
			r := e.getJSON(certsPath(apiID) + "/" + alias)
			var info struct {
				Status, Version, Subject, Type, FingerprintSha256, CommonName, Tier, KeyType string
				KeySize                                                                      int
				SubjectKeyID                                                                 string `json:"subjectKeyId"`
			}
			r.decode(t, &info)
			if info.FingerprintSha256 != domain.Fingerprint(tc.cert.Raw) || info.CommonName != tc.cert.Subject.CommonName ||
				info.Type != tc.typ || info.KeyType != tc.keyType || info.KeySize != tc.keySize || info.Status != "Active" ||
				info.Version != "3" || info.Tier != "Silver" {
				t.Fatalf("unexpected info %+v", info)
			}
			if (tc.typ == "ca") != (info.SubjectKeyID != "") {
				t.Fatalf("subjectKeyId %q for type %s", info.SubjectKeyID, tc.typ)
			}
			content := e.getJSON(certsPath(apiID) + "/" + alias + "/content")
			if content.status != 200 || !bytes.Equal(content.body, testcerts.PEM(tc.cert.Raw)) {
				t.Fatalf("content: %d %s", content.status, content.body)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
