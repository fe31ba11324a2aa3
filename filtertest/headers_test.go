package filtertest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	"github.com/certgate/certgate/wasmtest"
)

const trustedHopConfig = `{"trustedHops": {"cidrs": ["10.0.0.0/8"]}}`

// TestCertificateHeaderFormats sends the pinned and the CA-issued client
// certificate in every supported header format from a trusted hop.
func TestCertificateHeaderFormats(t *testing.T) {
	e := newEnv(t, envOptions{config: trustedHopConfig})
	w := e.w
	formats := []struct {
		name   string
		header string
		encode func(der []byte) string
	}{
		{"url-encoded-pem/nginx", "x-wso2-client-certificate", func(der []byte) string { return url.QueryEscape(pemOf(der)) }},
		{"url-encoded-pem/envoy", "x-wso2-client-certificate", func(der []byte) string { return envoyEscape(pemOf(der)) }},
		{"pem/newlines", "x-wso2-client-certificate", func(der []byte) string { return strings.ReplaceAll(pemOf(der), "\n", "\n ") }},
		{"pem/one-line", "x-wso2-client-certificate", func(der []byte) string { return strings.ReplaceAll(pemOf(der), "\n", "") }},
		{"base64-der", "x-wso2-client-certificate", func(der []byte) string { return base64.StdEncoding.EncodeToString(der) }},
		{"xfcc/cert", "x-wso2-client-certificate", func(der []byte) string {
			s := sha256.Sum256(der)
			return `By=spiffe://lb;Hash=` + hex.EncodeToString(s[:]) + `;Cert="` + envoyEscape(pemOf(der)) + `";Subject="CN=x"`
		}},
		{"rfc9440", "x-wso2-client-certificate", func(der []byte) string { return ":" + base64.StdEncoding.EncodeToString(der) + ":" }},
	}
	for _, f := range formats {
		for _, who := range []struct {
			name string
			cert *issued
			cn   string
		}{{"pinned", w.client, "client-one"}, {"ca-issued", w.issuedClient, "issued-client"}} {
			t.Run(f.name+"/"+who.name, func(t *testing.T) {
				res := e.do(request{path: "/mtls/1.0.0/x", source: "10.1.2.3:51000",
					headers: []wasmtest.Header{{f.header, f.encode(who.cert.cert.Raw)}}})
				wantStatus(t, res, 200, 0)
				if cn, _ := res.upstreamHeader("x-certgate-cn"); cn != who.cn {
					t.Fatalf("cn %q, want %q", cn, who.cn)
				}
				if _, ok := res.upstreamHeader(f.header); ok {
					t.Fatal("certificate header went upstream")
				}
			})
		}
	}
	// XFCC with only a hash: enough for a pinned certificate, not for a CA-issued one.
	t.Run("xfcc/hash-only", func(t *testing.T) {
		res := e.do(request{path: "/mtls/1.0.0/x", source: "10.1.2.3:1",
			headers: []wasmtest.Header{{"x-wso2-client-certificate", "Hash=" + w.client.fingerprint() + `;Subject="CN=client-one"`}}})
		wantStatus(t, res, 200, 0)
		res = e.do(request{path: "/mtls/1.0.0/x", source: "10.1.2.3:1",
			headers: []wasmtest.Header{{"x-wso2-client-certificate", "Hash=" + w.issuedClient.fingerprint()}}})
		wantStatus(t, res, 401, 900901)
	})
	t.Run("garbage-from-trusted-hop", func(t *testing.T) {
		res := e.do(request{path: "/mtls/1.0.0/x", source: "10.1.2.3:1", headers: []wasmtest.Header{{"x-wso2-client-certificate", "%%%not-a-cert"}}})
		wantStatus(t, res, 401, 900901)
	})
}

// TestCertificateHeaderStandardHeaders configures Envoy's XFCC and RFC 9440's Client-Cert as the header.
func TestCertificateHeaderStandardHeaders(t *testing.T) {
	w := getWorld(t)
	for _, c := range []struct{ header, value string }{
		{"x-forwarded-client-cert", `Hash=` + w.client.fingerprint() + `;Cert="` + envoyEscape(pemOf(w.client.cert.Raw)) + `"`},
		{"client-cert", ":" + base64.StdEncoding.EncodeToString(w.client.cert.Raw) + ":"},
	} {
		t.Run(c.header, func(t *testing.T) {
			e := newEnv(t, envOptions{config: `{"certificateHeader": "` + strings.ToUpper(c.header) + `", "trustedHops": {"cidrs": ["192.168.0.0/16"]}}`})
			res := e.do(request{path: "/mtls/1.0.0/x", source: "192.168.7.7:1", headers: []wasmtest.Header{{c.header, c.value}}})
			wantStatus(t, res, 200, 0)
			if _, ok := res.upstreamHeader(c.header); ok {
				t.Fatal("certificate header went upstream")
			}
		})
	}
}

// TestCertificateHeaderUntrustedHop: the header is ignored (and logged)
// from an untrusted hop, and removed before the upstream either way.
func TestCertificateHeaderUntrustedHop(t *testing.T) {
	e := newEnv(t, envOptions{config: trustedHopConfig})
	w := e.w
	spoof := []wasmtest.Header{{"x-wso2-client-certificate", url.QueryEscape(pemOf(w.client.cert.Raw))}}
	cases := []struct {
		name   string
		req    request
		status int
		code   int
	}{
		{"untrusted-source/mtls-only", request{path: "/mtls/1.0.0/x", source: "203.0.113.9:4000", headers: spoof}, 401, 900902},
		{"no-source/mtls-only", request{path: "/mtls/1.0.0/x", headers: spoof}, 401, 900902},
		{"untrusted-source/tls-cert-still-counts", request{path: "/mtls/1.0.0/x", source: "203.0.113.9:4000", peer: w.stranger, headers: spoof}, 401, 900901},
		{"untrusted-source/own-valid-tls-cert", request{path: "/mtls/1.0.0/x", source: "203.0.113.9:4000", peer: w.client, headers: spoof}, 200, 0},
		{"untrusted-source/unguarded-route", request{path: "/elsewhere", source: "203.0.113.9:4000", headers: spoof}, 200, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.do(c.req)
			wantStatus(t, res, c.status, c.code)
			if res.status == 200 {
				if _, ok := res.upstreamHeader("x-wso2-client-certificate"); ok {
					t.Fatal("spoofed certificate header went upstream")
				}
			}
		})
	}
	if e.metric("certgate.cert_header.untrusted") < 3 {
		t.Fatalf("untrusted header metric %d", e.metric("certgate.cert_header.untrusted"))
	}
	if !contains(e.host.Logs(wasmtest.LogWarn), "untrusted hop") {
		t.Fatal("ignored header not logged")
	}
}

// TestCertificateHeaderTrustedLBCertificate trusts the load balancer by
// the fingerprint of its own mTLS client certificate (WSO2's
// EnableClientCertificateValidation).
func TestCertificateHeaderTrustedLBCertificate(t *testing.T) {
	w := getWorld(t)
	e := newEnv(t, envOptions{config: `{"trustedHops": {"certificateFingerprints": ["` + w.lb.fingerprint() + `"]}}`})
	hdr := []wasmtest.Header{{"x-wso2-client-certificate", base64.StdEncoding.EncodeToString(w.client.cert.Raw)}}
	res := e.do(request{path: "/mtls/1.0.0/x", peer: w.lb, headers: hdr})
	wantStatus(t, res, 200, 0)
	if cn, _ := res.upstreamHeader("x-certgate-cn"); cn != "client-one" {
		t.Fatalf("cn %q", cn)
	}
	// The LB's own certificate is not a client credential.
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.lb}), 401, 900902)
	// Another peer certificate does not make the header trusted.
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.stranger, headers: hdr}), 401, 900901)
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// envoyEscape percent-encodes like Envoy's %DOWNSTREAM_PEER_CERT%.
func envoyEscape(s string) string {
	return strings.NewReplacer("\n", "%0A", " ", "%20", "+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
}
