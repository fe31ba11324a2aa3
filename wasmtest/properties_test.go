package wasmtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spiffe, _ := url.Parse("spiffe://example.org/ns/a/sa/" + cn)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Example, Inc."}, OrganizationalUnit: []string{"Gateway"}, Country: []string{"LK"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{cn + ".example.org", "second.example.org"},
		URIs:         []*url.URL{spiffe},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func TestPeerCertificateProperties(t *testing.T) {
	cert := testCert(t, "client-a")
	props := PeerCertificateProperties(cert, true)
	sum := sha256.Sum256(cert.Raw)
	want := map[string]string{
		"connection.mtls": "\x01",
		"connection.sha256_peer_certificate_digest": hex.EncodeToString(sum[:]),
		"connection.subject_peer_certificate":       `CN=client-a,OU=Gateway,O=Example\, Inc.,C=LK`,
		"connection.uri_san_peer_certificate":       "spiffe://example.org/ns/a/sa/client-a",
		"connection.dns_san_peer_certificate":       "client-a.example.org",
		"connection.peer_certificate_valid":         "\x01",
	}
	for k, v := range want {
		if string(props[k]) != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	pemURL := string(props["connection.peer_certificate"])
	if !strings.HasPrefix(pemURL, "-----BEGIN%20CERTIFICATE-----%0A") || strings.ContainsAny(pemURL, " \n+/=") {
		t.Errorf("peer_certificate not URL-encoded PEM: %.60q", pemURL)
	}
	if dec, err := url.PathUnescape(pemURL); err != nil || !strings.Contains(dec, "BEGIN CERTIFICATE") {
		t.Errorf("peer_certificate does not decode: %v", err)
	}
}

// TestProperties reads properties through proxy_get_property from a
// stream, covering proxytest divergence 4: properties are per stream.
func TestProperties(t *testing.T) {
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, probeOptions(t))
	cert := testCert(t, "client-a")
	withCert := PeerCertificateProperties(cert, true)
	withCert["source.address"] = PropString("10.0.0.7:51234")
	sum := sha256.Sum256(cert.Raw)

	mtls := newStream(t, p, StreamOptions{Properties: withCert})
	plain := newStream(t, p, StreamOptions{})
	defer mtls.Close()
	defer plain.Close()

	cases := []struct {
		name       string
		s          *Stream
		prop       string
		wantResult string
		wantHex    string
	}{
		{"mtls/true", mtls, "connection.mtls", "ok", "01"},
		{"mtls/false-without-cert", plain, "connection.mtls", "ok", "00"},
		{"digest", mtls, "connection.sha256_peer_certificate_digest", "ok", hexOf(hex.EncodeToString(sum[:]))},
		{"subject", mtls, "connection.subject_peer_certificate", "ok", hexOf(RFC2253(cert))},
		{"uri-san", mtls, "connection.uri_san_peer_certificate", "ok", hexOf("spiffe://example.org/ns/a/sa/client-a")},
		{"dns-san", mtls, "connection.dns_san_peer_certificate", "ok", hexOf("client-a.example.org")},
		{"source-address", mtls, "source.address", "ok", hexOf("10.0.0.7:51234")},
		{"unset/digest-on-plain-stream", plain, "connection.sha256_peer_certificate_digest", "not found", ""},
		{"unset/unknown", plain, "no.such.property", "not found", ""},
		{"request/path", plain, "request.path", "ok", hexOf("/pizzashack/1.0.0/menu?size=2")},
		{"request/url_path", plain, "request.url_path", "ok", hexOf("/pizzashack/1.0.0/menu")},
		{"request/query", plain, "request.query", "ok", hexOf("size=2")},
		{"request/host", plain, "request.host", "ok", hexOf("api.example.com")},
		{"request/method", plain, "request.method", "ok", hexOf("GET")},
		{"request/scheme", plain, "request.scheme", "ok", hexOf("https")},
		{"request/header", plain, "request.headers.x-action", "ok", hexOf("prop")},
		{"request/protocol", plain, "request.protocol", "ok", hexOf("HTTP/1.1")},
		{"response/code-before-response", plain, "response.code", "not found", ""},
		{"plugin_name", plain, "plugin_name", "ok", hexOf(testName)},
		{"plugin_root_id", plain, "plugin_root_id", "ok", hexOf(testRoot)},
		{"plugin_vm_id", plain, "plugin_vm_id", "ok", hexOf(testVM)},
	}
	// Interleave the two streams' requests: each must see its own properties.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := reqHeaders("prop", "x-prop", tc.prop)
			if _, err := tc.s.RequestHeaders(h, true); err != nil {
				t.Fatal(err)
			}
			up := tc.s.UpstreamRequestHeaders()
			// The probe appends results; read the last ones.
			res, val := lastHeader(up, "x-result"), lastHeader(up, "x-value")
			if res != tc.wantResult || val != tc.wantHex {
				t.Fatalf("%s = %s %q, want %s %q", tc.prop, res, val, tc.wantResult, tc.wantHex)
			}
		})
	}

	t.Run("request/time", func(t *testing.T) {
		clock := NewManualClock(time.Unix(1700000000, 5))
		h := newHost(t, HostOptions{Clock: clock})
		p := newPlugin(t, h, probeOptions(t))
		_, up := do(t, p, StreamOptions{}, "prop", "x-prop", "request.time")
		if got := mustHeader(t, up, "x-value"); got != hex.EncodeToString(PropInt(1700000000000000005)) {
			t.Fatalf("request.time = %s", got)
		}
	})
	t.Run("set-then-get", func(t *testing.T) {
		_, up := do(t, p, StreamOptions{}, "setprop", "x-prop", "wasm.certgate.client", "x-value", "alias-a")
		if mustHeader(t, up, "x-result") != "ok" || mustHeader(t, up, "x-get-result") != "ok" || mustHeader(t, up, "x-value") != "alias-a" {
			t.Fatalf("set/get property: %v", up)
		}
		_, up = do(t, p, StreamOptions{}, "prop", "x-prop", "wasm.certgate.client")
		if mustHeader(t, up, "x-result") != "not found" {
			t.Fatalf("a property set on one stream leaked into another: %v", up)
		}
	})
}

func lastHeader(h []Header, name string) string {
	v := ""
	for _, kv := range h {
		if kv[0] == name {
			v = kv[1]
		}
	}
	return v
}
