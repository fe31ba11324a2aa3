package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/api"
	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/store/badgerstore"
)

// testEncryptionKey is a throwaway AES-256 key generated per test run.
var testEncryptionKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// newEnvWith is newEnv over a store opened with options.
func newEnvWith(t testing.TB, o badgerstore.Options) *env {
	t.Helper()
	st, err := badgerstore.OpenWithOptions(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, AdminToken: testToken}))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &env{t: t, store: st, srv: srv, token: testToken, client: &http.Client{Transport: validator.RoundTripper(t, nil)}}
}

// part is one multipart field: a file when filename is set.
type part struct {
	name, filename string
	data           []byte
}

func field(name, value string) part { return part{name: name, data: []byte(value)} }
func file(name string, data []byte) part {
	return part{name: name, filename: name + ".bin", data: data}
}

func (e *env) multipart(method, path string, parts ...part) response {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.filename != "" {
			fw, _ := mw.CreateFormFile(p.name, p.filename)
			_, _ = fw.Write(p.data)
		} else {
			_ = mw.WriteField(p.name, string(p.data))
		}
	}
	_ = mw.Close()
	return e.do(method, v4(path), mw.FormDataContentType(), &buf)
}

// profilePKI is a backend CA, a gateway client certificate with its own key
// and a few odd certificates, all generated at test time.
type profilePKI struct {
	ca, ca2, client, expired *testcerts.Cert
	clientKey                *ecdsa.PrivateKey
}

func newProfilePKI(t testing.TB) profilePKI {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := testcerts.New(testcerts.Spec{CommonName: "Backend CA", IsCA: true})
	return profilePKI{
		ca:        ca,
		ca2:       testcerts.New(testcerts.Spec{CommonName: "Backend CA 2", IsCA: true}),
		client:    testcerts.New(testcerts.Spec{CommonName: "gateway-client", Key: key, Parent: ca, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}),
		expired:   testcerts.New(testcerts.Spec{CommonName: "old CA", IsCA: true, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}),
		clientKey: key,
	}
}

// clientPEM is the client certificate followed by its key (one file).
func (p profilePKI) clientPEM() []byte {
	return append(testcerts.PEM(p.client.Cert.Raw), testcerts.KeyPEM(p.clientKey)...)
}

type profileBody struct {
	Name                 string   `json:"name"`
	Servers              []string `json:"servers"`
	HostnameVerification string   `json:"hostnameVerification"`
	SNI                  string   `json:"sni"`
	TLSMinVersion        string   `json:"tlsMinVersion"`
	TrustStore           []struct {
		Subject           string `json:"subject"`
		FingerprintSha256 string `json:"fingerprintSha256"`
	} `json:"trustStore"`
	KeyStore *struct {
		Subject           string `json:"subject"`
		FingerprintSha256 string `json:"fingerprintSha256"`
		KeyType           string `json:"keyType"`
	} `json:"keyStore"`
}

// assertNoKeyMaterial fails when body carries the private key in any
// encoding the API could use.
func assertNoKeyMaterial(t *testing.T, body []byte, key *ecdsa.PrivateKey) {
	t.Helper()
	der := testcerts.KeyDER(key)
	for name, needle := range map[string][]byte{
		"PEM header": []byte("PRIVATE KEY"),
		"DER":        der,
		"base64 DER": []byte(base64.StdEncoding.EncodeToString(der)[8:64]),
		"scalar":     key.D.Bytes(),
	} {
		if bytes.Contains(body, needle) {
			t.Fatalf("response carries key material (%s): %s", name, body)
		}
	}
}

func TestBackendProfileLifecycle(t *testing.T) {
	e := newEnvWith(t, badgerstore.Options{EncryptionKey: testEncryptionKey})
	pki := newProfilePKI(t)
	v0 := e.store.ConfigVersion()

	r := e.multipart(http.MethodPost, "/backend-profiles",
		field("name", "orders-backend"), field("servers", "Orders.Example.com:8443, 10.0.0.5:9444"),
		file("trustStore", testcerts.PEM(pki.ca.Cert.Raw, pki.ca2.Cert.Raw)),
		file("keyStore", pki.clientPEM()), field("sni", "orders.internal"), field("tlsMinVersion", "TLSv1_2"))
	if r.status != http.StatusCreated || r.header.Get("Location") != api.BasePath+"/backend-profiles/orders-backend" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	assertNoKeyMaterial(t, r.body, pki.clientKey)
	var p profileBody
	r.decode(t, &p)
	if !slices.Equal(p.Servers, []string{"orders.example.com:8443", "10.0.0.5:9444"}) || p.HostnameVerification != "strict" ||
		p.SNI != "orders.internal" || p.TLSMinVersion != "TLSv1_2" || len(p.TrustStore) != 2 ||
		p.KeyStore == nil || p.KeyStore.KeyType != "ECDSA" || p.KeyStore.FingerprintSha256 != domain.Fingerprint(pki.client.Cert.Raw) {
		t.Fatalf("created profile: %s", r.body)
	}

	// GET and list return the same summary, never the key.
	for _, path := range []string{"/backend-profiles/orders-backend", "/backend-profiles"} {
		g := e.getJSON(path)
		if g.status != http.StatusOK || !bytes.Contains(g.body, []byte(p.KeyStore.FingerprintSha256)) {
			t.Fatalf("GET %s: %d %s", path, g.status, g.body)
		}
		assertNoKeyMaterial(t, g.body, pki.clientKey)
	}

	// The store keeps the key (for the gateways), the config version moved
	// and the change is audited.
	state, err := e.store.ReadConfig(t.Context())
	if err != nil || len(state.BackendProfiles) != 1 || state.BackendProfiles[0].KeyStore == nil ||
		!bytes.Equal(state.BackendProfiles[0].KeyStore.KeyPKCS8, testcerts.KeyDER(pki.clientKey)) {
		t.Fatalf("ReadConfig: %+v %v", state.BackendProfiles, err)
	}
	if state.Version != v0+1 {
		t.Fatalf("config version %d, want %d", state.Version, v0+1)
	}
	audit, _, _ := e.store.ListAudit(t.Context(), 0, 1)
	if len(audit) != 1 || audit[0].Action != domain.ActionProfileCreate || strings.Contains(audit[0].Detail, "PRIVATE") {
		t.Fatalf("audit: %+v", audit)
	}

	// PUT replaces: JKS key store, PKCS#12 trust store, allow-all, repeated servers.
	r = e.multipart(http.MethodPut, "/backend-profiles/orders-backend",
		field("servers", "orders.example.com:8443"), field("servers", "[2001:db8::1]:443"),
		file("trustStore", testcerts.PKCS12Trust("trustpw", pki.ca.Cert)), field("trustStorePassword", "trustpw"),
		file("keyStore", testcerts.JKSWithKey("changeit", &testcerts.Cert{Cert: pki.client.Cert, Key: pki.clientKey})),
		field("keyStorePassword", "changeit"), field("hostnameVerification", "AllowAll"))
	if r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	p = profileBody{}
	r.decode(t, &p)
	if !slices.Equal(p.Servers, []string{"orders.example.com:8443", "[2001:db8::1]:443"}) || p.HostnameVerification != "allow-all" ||
		len(p.TrustStore) != 1 || p.KeyStore == nil || p.SNI != "" {
		t.Fatalf("updated profile: %s", r.body)
	}
	// The freed server can join another profile; PKCS#12 key store and a
	// separate PEM key file work too.
	for _, tc := range []struct {
		name  string
		parts []part
	}{
		{"pkcs12", []part{file("keyStore", testcerts.PKCS12WithKey("pw", &testcerts.Cert{Cert: pki.client.Cert, Key: pki.clientKey})), field("keyStorePassword", "pw")}},
		{"pem-split", []part{file("keyStore", testcerts.PEM(pki.client.Cert.Raw, pki.ca.Cert.Raw)), file("keyStoreKey", testcerts.KeyPEM(pki.clientKey))}},
		{"trust-only", nil},
	} {
		server := map[string]string{"pkcs12": "10.0.0.5:9444", "pem-split": "b.example.com:443", "trust-only": "c.example.com:443"}[tc.name]
		parts := append([]part{field("name", tc.name), field("servers", server), file("trustStore", pki.ca.Cert.Raw)}, tc.parts...)
		if r := e.multipart(http.MethodPost, "/backend-profiles", parts...); r.status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", tc.name, r.status, r.body)
		}
	}
	var split profileBody
	e.getJSON("/backend-profiles/pem-split").decode(t, &split)
	if split.KeyStore == nil || split.KeyStore.Subject != pki.client.Cert.Subject.String() {
		t.Fatalf("pem-split: %+v", split)
	}

	if r := e.do(http.MethodDelete, v4("/backend-profiles/orders-backend"), "", nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.getJSON("/backend-profiles/orders-backend"); r.status != http.StatusNotFound {
		t.Fatalf("deleted profile still found: %d", r.status)
	}
	// Its servers are free again.
	if r := e.multipart(http.MethodPost, "/backend-profiles", field("name", "again"), field("servers", "orders.example.com:8443"),
		file("trustStore", testcerts.PEM(pki.ca.Cert.Raw))); r.status != http.StatusCreated {
		t.Fatalf("reuse freed server: %d %s", r.status, r.body)
	}
}

// TestBackendProfileWithoutEncryptionKey: without an encryption key the
// manager refuses private keys (422) but accepts trust-store-only profiles.
func TestBackendProfileWithoutEncryptionKey(t *testing.T) {
	e := newEnvWith(t, badgerstore.Options{})
	pki := newProfilePKI(t)
	base := []part{field("name", "p"), field("servers", "backend.example.com:443"), file("trustStore", testcerts.PEM(pki.ca.Cert.Raw))}
	before := e.profileState()
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		path := "/backend-profiles"
		if method == http.MethodPut {
			path += "/p"
		}
		r := e.multipart(method, path, append(base, file("keyStore", pki.clientPEM()))...)
		code, _ := r.err()
		if method == http.MethodPost && (r.status != http.StatusUnprocessableEntity || code != domain.CodeEncryptionRequired ||
			!bytes.Contains(r.body, []byte("--encryption-key-file"))) {
			t.Fatalf("%s with key: %d %s", method, r.status, r.body)
		}
		if method == http.MethodPost {
			if after := e.profileState(); after != before {
				t.Fatal("refused upload changed the state")
			}
			if r := e.multipart(http.MethodPost, "/backend-profiles", base...); r.status != http.StatusCreated {
				t.Fatalf("trust-only profile: %d %s", r.status, r.body)
			}
			before = e.profileState()
			continue
		}
		if r.status != http.StatusUnprocessableEntity || code != domain.CodeEncryptionRequired {
			t.Fatalf("PUT with key: %d %s", r.status, r.body)
		}
		if after := e.profileState(); after != before {
			t.Fatal("refused update changed the state")
		}
	}
}

// profileState captures what a refused profile request must leave unchanged.
func (e *env) profileState() string {
	e.t.Helper()
	var sb strings.Builder
	for _, p := range []string{"/backend-profiles", "/config-version", "/audit?limit=1000"} {
		sb.Write(e.getJSON(p).body)
	}
	return sb.String()
}

// TestBackendProfileBadInput: every refused profile request answers the
// right status and code and changes nothing.
func TestBackendProfileBadInput(t *testing.T) {
	e := newEnvWith(t, badgerstore.Options{EncryptionKey: testEncryptionKey})
	pki := newProfilePKI(t)
	caPEM := testcerts.PEM(pki.ca.Cert.Raw)
	if r := e.multipart(http.MethodPost, "/backend-profiles", field("name", "existing"), field("servers", "taken.example.com:443"), file("trustStore", caPEM)); r.status != http.StatusCreated {
		t.Fatalf("seed profile: %d %s", r.status, r.body)
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weakKey := testcerts.RSAKey(1024)
	weak := testcerts.New(testcerts.Spec{CommonName: "weak", Key: weakKey})
	now := time.Now()
	expiredClient := testcerts.New(testcerts.Spec{CommonName: "expired", Key: otherKey, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
	serverOnly := testcerts.New(testcerts.Spec{CommonName: "server-only", Key: otherKey, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	encryptedKey := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})

	// valid returns a complete, valid form with the named parts replaced
	// (a nil data removes the part).
	valid := func(over ...part) []part {
		parts := []part{field("name", "new"), field("servers", "new.example.com:8443"), file("trustStore", caPEM),
			file("keyStore", pki.clientPEM())}
		for _, o := range over {
			i := slices.IndexFunc(parts, func(p part) bool { return p.name == o.name })
			switch {
			case o.data == nil && i >= 0:
				parts = slices.Delete(parts, i, i+1)
			case i >= 0:
				parts[i] = o
			case o.data != nil:
				parts = append(parts, o)
			}
		}
		return parts
	}
	drop := func(name string) part { return part{name: name} }
	cases := []struct {
		name   string
		method string // default POST
		path   string // default /backend-profiles
		parts  []part
		raw    func() response
		status int
		code   int64
	}{
		{name: "fail/name-missing", parts: valid(drop("name")), status: 400, code: domain.CodeValidation},
		{name: "fail/name-bad-characters", parts: valid(field("name", "a b")), status: 400, code: domain.CodeValidation},
		{name: "fail/name-too-long", parts: valid(field("name", strings.Repeat("n", 65))), status: 400, code: domain.CodeValidation},
		{name: "fail/servers-missing", parts: valid(drop("servers")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-without-port", parts: valid(field("servers", "new.example.com")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-port-zero", parts: valid(field("servers", "new.example.com:0")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-port-too-big", parts: valid(field("servers", "new.example.com:70000")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-bad-host", parts: valid(field("servers", "new_host!:443")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-url-not-host-port", parts: valid(field("servers", "https://new.example.com:443")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-duplicate", parts: valid(field("servers", "a.example.com:443,A.example.com:443")), status: 400, code: domain.CodeValidation},
		{name: "fail/server-in-other-profile", parts: valid(field("servers", "new.example.com:1,taken.example.com:443")), status: 409, code: domain.CodeServerInUse},
		{name: "fail/profile-exists", parts: valid(field("name", "existing")), status: 409, code: domain.CodeProfileExists},
		{name: "fail/trust-store-missing", parts: valid(drop("trustStore")), status: 400, code: domain.CodeTrustStoreMissing},
		{name: "fail/trust-store-empty", parts: valid(file("trustStore", []byte{})), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/trust-store-garbage", parts: valid(file("trustStore", []byte("not a certificate"))), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/trust-store-bad-pem", parts: valid(file("trustStore", []byte("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"))), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/trust-store-with-private-key-pem", parts: valid(file("trustStore", append(append([]byte{}, caPEM...), testcerts.KeyPEM(pki.ca.Key)...))), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/trust-store-private-key-der", parts: valid(file("trustStore", testcerts.KeyDER(otherKey))), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/trust-store-jks-with-key", parts: valid(file("trustStore", testcerts.JKSWithKey("changeit", pki.ca)), field("trustStorePassword", "changeit")), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/trust-store-pkcs12-with-key", parts: valid(file("trustStore", testcerts.PKCS12WithKey("changeit", pki.ca)), field("trustStorePassword", "changeit")), status: 400, code: domain.CodePrivateKeyRefused},
		{name: "fail/trust-store-expired-ca", parts: valid(file("trustStore", testcerts.PEM(pki.ca.Cert.Raw, pki.expired.Cert.Raw))), status: 400, code: domain.CodeCertExpired},
		{name: "fail/trust-store-weak-key", parts: valid(file("trustStore", testcerts.PEM(weak.Cert.Raw))), status: 400, code: domain.CodeWeakKey},
		{name: "fail/trust-store-wrong-jks-password", parts: valid(file("trustStore", testcerts.JKS("changeit", pki.ca.Cert)), field("trustStorePassword", "wrong")), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/trust-store-wrong-pkcs12-password", parts: valid(file("trustStore", testcerts.PKCS12Trust("changeit", pki.ca.Cert)), field("trustStorePassword", "wrong")), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/key-store-key-mismatch", parts: valid(file("keyStore", append(testcerts.PEM(pki.client.Cert.Raw), testcerts.KeyPEM(otherKey)...))), status: 400, code: domain.CodeKeyMismatch},
		{name: "fail/key-store-split-key-mismatch", parts: valid(file("keyStore", testcerts.PEM(pki.client.Cert.Raw)), file("keyStoreKey", testcerts.KeyPEM(otherKey))), status: 400, code: domain.CodeKeyMismatch},
		{name: "fail/key-store-no-key", parts: valid(file("keyStore", testcerts.PEM(pki.client.Cert.Raw))), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-chain-out-of-order", parts: valid(file("keyStore", append(testcerts.PEM(pki.client.Cert.Raw, pki.ca2.Cert.Raw), testcerts.KeyPEM(pki.clientKey)...))), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-two-keys", parts: valid(file("keyStore", append(pki.clientPEM(), testcerts.KeyPEM(otherKey)...))), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-key-only", parts: valid(file("keyStore", testcerts.KeyPEM(pki.clientKey))), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-encrypted-pem-key", parts: valid(file("keyStore", append(testcerts.PEM(pki.client.Cert.Raw), encryptedKey...))), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-key-file-without-cert", parts: valid(drop("keyStore"), file("keyStoreKey", testcerts.KeyPEM(pki.clientKey))), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-weak-rsa", parts: valid(file("keyStore", append(testcerts.PEM(weak.Cert.Raw), testcerts.KeyPEM(weakKey)...))), status: 400, code: domain.CodeWeakKey},
		{name: "fail/key-store-expired-cert", parts: valid(file("keyStore", append(testcerts.PEM(expiredClient.Cert.Raw), testcerts.KeyPEM(otherKey)...))), status: 400, code: domain.CodeCertExpired},
		{name: "fail/key-store-server-auth-only", parts: valid(file("keyStore", append(testcerts.PEM(serverOnly.Cert.Raw), testcerts.KeyPEM(otherKey)...))), status: 400, code: domain.CodeCertUsage},
		{name: "fail/key-store-garbage", parts: valid(file("keyStore", []byte("garbage"))), status: 400, code: domain.CodeCertMalformed},
		{name: "fail/key-store-wrong-jks-password", parts: valid(file("keyStore", testcerts.JKSWithKey("changeit", pki.client)), field("keyStorePassword", "wrong")), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/key-store-jks-without-key-entry", parts: valid(file("keyStore", testcerts.JKS("changeit", pki.client.Cert)), field("keyStorePassword", "changeit")), status: 400, code: domain.CodeKeyStoreInvalid},
		{name: "fail/key-store-wrong-pkcs12-password", parts: valid(file("keyStore", testcerts.PKCS12WithKey("changeit", &testcerts.Cert{Cert: pki.client.Cert, Key: pki.clientKey})), field("keyStorePassword", "wrong")), status: 400, code: domain.CodeKeystorePassword},
		{name: "fail/hostname-verification-unknown", parts: valid(field("hostnameVerification", "sometimes")), status: 400, code: domain.CodeValidation},
		{name: "fail/sni-ip-address", parts: valid(field("sni", "10.0.0.1")), status: 400, code: domain.CodeValidation},
		{name: "fail/sni-bad-characters", parts: valid(field("sni", "a b.example")), status: 400, code: domain.CodeValidation},
		{name: "fail/tls-version-1.1", parts: valid(field("tlsMinVersion", "TLSv1_1")), status: 400, code: domain.CodeValidation},
		{name: "fail/tls-min-above-max", parts: valid(field("tlsMinVersion", "TLSv1_3"), field("tlsMaxVersion", "TLSv1_2")), status: 400, code: domain.CodeValidation},
		{name: "fail/two-trust-store-files", parts: append(valid(), file("trustStore", caPEM)), status: 400, code: domain.CodeMultipleCerts},
		{name: "fail/body-over-256KiB", parts: valid(file("trustStore", append(append([]byte{}, caPEM...), bytes.Repeat([]byte("\n"), 257<<10)...))), status: 413, code: domain.CodeBodyTooLarge},
		{name: "fail/not-multipart", raw: func() response {
			return e.sendJSON(http.MethodPost, "/backend-profiles", map[string]any{"name": "new", "servers": []string{"a:1"}})
		}, status: 400, code: domain.CodeBadRequest},
		{name: "fail/update-not-found", method: "PUT", path: "/backend-profiles/nope", parts: valid(drop("name")), status: 404, code: domain.CodeProfileNotFound},
		{name: "fail/update-rename", method: "PUT", path: "/backend-profiles/existing", parts: valid(field("name", "renamed")), status: 400, code: domain.CodeValidation},
		{name: "fail/update-bad-server", method: "PUT", path: "/backend-profiles/existing", parts: valid(drop("name"), field("servers", "x")), status: 400, code: domain.CodeValidation},
		{name: "fail/get-not-found", method: "GET", path: "/backend-profiles/nope", status: 404, code: domain.CodeProfileNotFound},
		{name: "fail/delete-not-found", method: "DELETE", path: "/backend-profiles/nope", status: 404, code: domain.CodeProfileNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.profileState()
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/backend-profiles"
			}
			var r response
			switch {
			case tc.raw != nil:
				r = tc.raw()
			case tc.parts == nil:
				r = e.do(method, v4(path), "", nil)
			default:
				r = e.multipart(method, path, tc.parts...)
			}
			code, msg := r.err()
			if r.status != tc.status || code != tc.code {
				t.Fatalf("got %d code %d (%s), want %d code %d; body %s", r.status, code, msg, tc.status, tc.code, r.body)
			}
			assertNoKeyMaterial(t, r.body, pki.clientKey)
			if after := e.profileState(); after != before {
				t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
