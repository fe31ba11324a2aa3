package filtertest

import (
	"encoding/base64"
	"math/rand"
	"net/url"
	"strings"
	"testing"

	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

// TestNoTrapOnRandomInput feeds random and mutated headers, properties and
// shared-data values to 2 VMs and checks every request is still answered
// (a trap would fail the stream), then that the filter works normally once
// the data is repaired.
func TestNoTrapOnRandomInput(t *testing.T) {
	e := newEnv(t, envOptions{workers: 2, config: `{"trustedHops": {"cidrs": ["0.0.0.0/0", "::/0"]}, "unknownRoutes": "deny"}`})
	w := e.w
	rng := rand.New(rand.NewSource(4))
	keys := make([]string, 0, 64)
	for k := range w.snap.Entries() {
		keys = append(keys, k)
	}
	keys = append(keys, shared.KeyCurrent, shared.KeyRateLimitLock,
		shared.KeyRateLimit(shared.ThrottleKeyCN("client-one", idLimited)), shared.KeyRateLimit(shared.ThrottleKeyAPI(idPolicy)))
	goodTok := w.idp.token(t, "RS256", w.idp.claims(idBoth, nil))
	goodPEM := url.QueryEscape(pemOf(w.client.cert.Raw))
	paths := []string{"/both/1.0.0/x", "/both/x", "/mtls/1.0.0/x", "/oauth/1.0.0/x", "/limited/1.0.0/x", "/policy/1.0.0/x",
		"/bothmand/1.0.0/x", "/", "", "//", "/both/", "/" + strings.Repeat("a/", 50)}
	statuses := map[int]bool{200: true, 401: true, 404: true, 429: true, 503: true}
	seen := map[int]int{}

	junk := func(n int) []byte {
		b := make([]byte, rng.Intn(n+1))
		rng.Read(b)
		return b
	}
	mutate := func(s string) string {
		if s == "" {
			return s
		}
		b := []byte(s)
		for i := 0; i < 1+rng.Intn(4); i++ {
			switch rng.Intn(3) {
			case 0:
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			case 1:
				b = b[:rng.Intn(len(b))]
			default:
				at := rng.Intn(len(b) + 1)
				b = append(b[:at], append(junk(8), b[at:]...)...)
			}
			if len(b) == 0 {
				break
			}
		}
		return string(b)
	}
	printable := func(b []byte) string { // header values Envoy would accept
		return strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, string(b))
	}
	repair := func() {
		for _, k := range keys {
			_ = e.host.SharedData().Set(k, nil, 0)
		}
		_ = e.host.SharedData().Set(shared.KeyRateLimitLock, []byte{0}, 0)
		_ = e.host.SharedData().Set(shared.KeyCurrent, shared.EncodeGeneration(0), 0)
		e.publish(nil, w.snap)
	}
	for i := 0; i < 3000; i++ {
		if i%50 == 0 { // repair, then corrupt a few shared-data values
			repair()
			for j := 0; j < 1+rng.Intn(3); j++ {
				k := keys[rng.Intn(len(keys))]
				var v []byte
				switch rng.Intn(4) {
				case 0:
					v = junk(64)
				case 1:
					old, _, _ := e.host.SharedData().Get(k)
					v = []byte(mutate(string(old)))
				case 2:
					v = shared.EncodeVersions(shared.Version{Gen: uint64(rng.Intn(3)), Record: junk(40)})
				default:
					v = shared.EncodeGeneration(uint64(rng.Intn(4)))
				}
				_ = e.host.SharedData().Set(k, v, 0)
			}
		}
		r := request{path: paths[rng.Intn(len(paths))], worker: rng.Intn(2), props: map[string][]byte{}}
		if rng.Intn(3) == 0 {
			r.path = printable(junk(40))
		}
		switch rng.Intn(4) {
		case 0:
			r.headers = append(r.headers, wasmtest.Header{"authorization", "Bearer " + mutate(goodTok)})
		case 1:
			r.headers = append(r.headers, wasmtest.Header{"authorization", printable(junk(200))})
		case 2:
			r.headers = append(r.headers, bearer(goodTok))
		}
		switch rng.Intn(5) {
		case 0:
			r.headers = append(r.headers, wasmtest.Header{"x-wso2-client-certificate", mutate(goodPEM)})
		case 1:
			r.headers = append(r.headers, wasmtest.Header{"x-wso2-client-certificate", ":" + base64.StdEncoding.EncodeToString([]byte(mutate(string(w.issuedClient.cert.Raw)))) + ":"})
		case 2:
			r.headers = append(r.headers, wasmtest.Header{"x-wso2-client-certificate", printable(junk(300))})
		case 3:
			r.headers = append(r.headers, wasmtest.Header{"x-wso2-client-certificate", "Hash=" + mutate(w.client.fingerprint()) + `;Cert="` + mutate(goodPEM)})
		}
		if rng.Intn(2) == 0 {
			peers := []*issued{w.client, w.issuedClient, w.stranger, w.revoked}
			for k, v := range wasmtest.PeerCertificateProperties(peers[rng.Intn(len(peers))].cert, rng.Intn(2) == 0) {
				r.props[k] = v
			}
		}
		for _, p := range []string{"connection.mtls", "connection.sha256_peer_certificate_digest", "connection.peer_certificate",
			"connection.peer_certificate_valid", "source.address", "connection.subject_peer_certificate"} {
			switch rng.Intn(6) {
			case 0:
				r.props[p] = junk(80)
			case 1:
				r.props[p] = []byte(mutate(string(r.props[p])))
			case 2:
				delete(r.props, p)
			}
		}
		res := e.do(r)
		if !statuses[res.status] {
			t.Fatalf("iteration %d: unexpected status %d", i, res.status)
		}
		seen[res.status]++
	}
	t.Logf("statuses: %v", seen)
	if seen[200] == 0 || seen[401] == 0 {
		t.Fatalf("random input never reached both outcomes: %v", seen)
	}
	for wk := 0; wk < 2; wk++ {
		if err := e.plugin.Failed(wk); err != nil {
			t.Fatalf("worker %d failed: %v", wk, err)
		}
	}
	// Repair the data (a full publication) and check normal service.
	repair()
	for wk := 0; wk < 2; wk++ {
		wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.client, worker: wk}), 200, 0)
		wantStatus(t, e.do(request{path: "/oauth/1.0.0/x", worker: wk, headers: []wasmtest.Header{bearer(w.idp.token(t, "ES256", w.idp.claims(idOAuth, nil)))}}), 200, 0)
		wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.stranger, worker: wk}), 401, 900901)
	}
}
