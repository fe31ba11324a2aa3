package filtertest

import (
	"testing"

	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

func TestRouting(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	tok2 := w.idp.token(t, "RS256", w.idp.claims(idBoth2, nil))
	cases := []struct {
		name   string
		path   string
		token  string
		status int
		api    string
	}{
		{"versioned", "/both/1.0.0/menu", "", 200, idBoth},
		{"default-version", "/both/menu", "", 200, idBoth},
		{"default-version-root", "/both", "", 200, idBoth},
		{"other-version", "/both/2.0.0/menu", tok2, 200, idBoth2},
		{"token-for-other-version-rejected-on-default", "/both/menu", tok2, 200, idBoth}, // cert decides first
		{"unknown-route-passes-untouched", "/nothing/here", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := request{path: c.path, peer: w.client}
			if c.token != "" {
				r.peer = nil
				if c.api == idBoth {
					r.peer = w.client
				}
				r.headers = append(r.headers, bearer(c.token))
			}
			res := e.do(r)
			wantStatus(t, res, c.status, 0)
			got, ok := res.upstreamHeader("x-certgate-api")
			if c.api == "" {
				if ok {
					t.Fatalf("unguarded route got identity %q", got)
				}
				return
			}
			if got != c.api {
				t.Fatalf("api %q, want %q", got, c.api)
			}
		})
	}
	// A token for v2 on the default (v1) route: wrong audience.
	res := e.do(request{path: "/both/menu", headers: []wasmtest.Header{bearer(tok2)}})
	wantStatus(t, res, 401, 900901)
}

func TestUnknownRoutesDenied(t *testing.T) {
	e := newEnv(t, envOptions{config: `{"unknownRoutes": "deny"}`})
	wantStatus(t, e.do(request{path: "/nothing/here", peer: e.w.client}), 404, shared.CodeNotFound)
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: e.w.client}), 200, 0)
}

func TestNoDataFailMode(t *testing.T) {
	t.Run("closed-by-default", func(t *testing.T) {
		e := newEnv(t, envOptions{noPublish: true})
		res := e.do(request{path: "/mtls/1.0.0/x", peer: e.w.client})
		wantStatus(t, res, 503, shared.CodeNoData)
		if ct, _ := headerValue(res.local.Headers, "content-type"); ct != "application/json; charset=UTF-8" {
			t.Fatalf("content-type %q", ct)
		}
		if e.metric("certgate.requests.no_data") != 1 {
			t.Fatal("no_data metric")
		}
		// Once the sync publishes, the same request passes.
		e.publish(nil, e.w.snap)
		wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: e.w.client}), 200, 0)
	})
	t.Run("open", func(t *testing.T) {
		e := newEnv(t, envOptions{noPublish: true, config: `{"failMode": "open"}`})
		res := e.do(request{path: "/mtls/1.0.0/x"})
		wantStatus(t, res, 200, 0)
	})
}

// TestSnapshotUpdate publishes a delta (a new generation) and checks the
// very next request sees it: a certificate removed, another one added.
func TestSnapshotUpdate(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.stranger}), 401, 900901)
	next := *w.snap
	next.Certs = append([]shared.ClientCert{certRecord(idMTLS, "stranger", "Gold", w.stranger)}, w.snap.Certs...)
	var kept []shared.ClientCert
	for _, c := range next.Certs {
		if !(c.APIID == idMTLS && c.Fingerprint == w.client.fingerprint()) {
			kept = append(kept, c)
		}
	}
	next.Certs = kept
	if gen := e.publish(w.snap, &next); gen != 2 {
		t.Fatalf("generation %d, want 2", gen)
	}
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.stranger}), 200, 0)
	wantStatus(t, e.do(request{path: "/mtls/1.0.0/x", peer: w.client}), 401, 900901)
	wantStatus(t, e.do(request{path: "/both/1.0.0/x", peer: w.client}), 200, 0)
}

func headerValue(h [][2]string, name string) (string, bool) {
	for _, kv := range h {
		if kv[0] == name {
			return kv[1], true
		}
	}
	return "", false
}
