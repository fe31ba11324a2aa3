package filtertest

import (
	"bytes"
	"testing"
	"time"

	"github.com/certgate/certgate/wasmtest"
)

// TestCertificateValidity covers pinned and CA-issued certificates over
// TLS, expiry, revocation, Envoy's chain verdict and the fallback when an
// older Envoy does not report it.
func TestCertificateValidity(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	forged := forgeIssuedBy(t, w.ca) // same issuer DN and AKI as the trusted CA, signed by another key
	// A CA-issued certificate the filter has never seen (its DER is cached once seen).
	unseen := newLeaf(t, w.ca, "unseen-client", t0.Add(-time.Hour), t0.Add(time.Hour))
	cases := []struct {
		name   string
		req    request
		status int
		code   int
		cn     string
	}{
		{"ok/pinned", request{peer: w.client}, 200, 0, "client-one"},
		{"ok/pinned-legacy-envoy", request{peer: w.client, legacy: true}, 200, 0, "client-one"},
		{"ok/pinned-chain-invalid-ignored", request{peer: w.client, peerValid: boolp(false)}, 200, 0, "client-one"},
		{"ok/ca-issued-envoy-verified", request{peer: w.issuedClient}, 200, 0, "issued-client"},
		{"fail/ca-issued-envoy-says-invalid", request{peer: w.issuedClient, peerValid: boolp(false)}, 401, 900901, ""},
		{"ok/ca-issued-verified-in-wasm", request{peer: w.issuedClient, props: map[string][]byte{"connection.peer_certificate_valid": nil}}, 200, 0, "issued-client"},
		{"fail/forged-issuer-verified-in-wasm", request{peer: forged, props: map[string][]byte{"connection.peer_certificate_valid": nil}}, 401, 900901, ""},
		{"fail/ca-issued-legacy-envoy-no-pem", request{peer: unseen, legacy: true}, 401, 900901, ""},
		{"ok/ca-issued-legacy-envoy-der-seen-before", request{peer: w.issuedClient, legacy: true}, 200, 0, "issued-client"},
		{"fail/expired-pinned", request{peer: w.expired}, 401, 900901, ""},
		{"fail/revoked-pinned", request{peer: w.revoked}, 401, 900901, ""},
		{"fail/unknown", request{peer: w.stranger}, 401, 900901, ""},
		{"missing/plaintext", request{}, 401, 900902, ""},
		{"missing/mtls-without-digest", request{props: map[string][]byte{"connection.mtls": wasmtest.PropBool(true),
			"connection.subject_peer_certificate": wasmtest.PropString("CN=client-one")}}, 401, 900902, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.path = "/mtls/1.0.0/orders"
			if c.req.props != nil {
				// a nil value means "property absent"
				props := c.req.properties()
				for k, v := range c.req.props {
					if v == nil {
						delete(props, k)
					}
				}
				c.req.props, c.req.peer, c.req.peerValid = props, nil, nil
			}
			res := e.do(c.req)
			wantStatus(t, res, c.status, c.code)
			if c.cn != "" {
				if cn, _ := res.upstreamHeader("x-certgate-cn"); cn != c.cn {
					t.Fatalf("cn %q", cn)
				}
			}
		})
	}
}

// TestCertificateExpiresWithClock: a pinned certificate stops working when the clock passes notAfter.
func TestCertificateExpiresWithClock(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.client}), 200, 0)
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.issuedClient}), 200, 0)
	e.clock.Set(w.client.cert.NotAfter.Add(time.Second))
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.client}), 401, 900901)
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.issuedClient}), 401, 900901)
}

// TestRevocationPublished: revoking a certificate in a new generation takes effect on the next request.
func TestRevocationPublished(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.issuedClient}), 200, 0)
	next := *w.snap
	next.Revoked = append([]string{w.issuedClient.fingerprint(), w.client.fingerprint()}, w.snap.Revoked...)
	e.publish(w.snap, &next)
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.issuedClient}), 401, 900901)
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.client}), 401, 900901)
}

// forgeIssuedBy makes a certificate that names ca as its issuer (DN and
// authority key id) but is signed by an unrelated key.
func forgeIssuedBy(t *testing.T, ca *issued) *issued {
	t.Helper()
	k := newKey(t)
	tmpl := *ca.cert // same subject DN and subject key id, attacker's key
	tmpl.PublicKey = k.Public()
	fake := sign(t, &tmpl, k, nil)
	leaf := newLeaf(t, fake, "forged-client", t0.Add(-time.Hour), t0.Add(time.Hour))
	if !bytes.Equal(leaf.cert.RawIssuer, ca.cert.RawSubject) || !bytes.Equal(leaf.cert.AuthorityKeyId, ca.cert.SubjectKeyId) {
		t.Fatal("forged certificate does not name the CA as issuer")
	}
	return leaf
}
