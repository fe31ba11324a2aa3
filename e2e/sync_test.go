package e2e

import (
	"net/http"
	"testing"

	"github.com/certgate/certgate/internal/testmanager"
	"github.com/certgate/certgate/wasmtest"
)

// TestManagerToFilter is issue 5's end-to-end: a real manager and four
// filter VMs of one gateway long-polling it. Upload → allowed; delete →
// refused; manager stopped → still enforced; manager back → sync resumes.
// Only one VM polls.
func TestManagerToFilter(t *testing.T) {
	wasm := wasmtest.MustReadBuild(t, "certgate-filter.wasm")
	dir := t.TempDir()
	m := testmanager.Start(t, testmanager.Options{Dir: dir})
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	gw := startGateway(t, wasm, m.Base(), 4)
	gw.waitApplied(t, m.ConfigVersion())

	alice := clientCert(t, "alice")
	const path = "/pizzashack/1.0.0/menu"
	for w := 0; w < 4; w++ {
		if st := gw.request(t, w, path, alice); st != http.StatusUnauthorized {
			t.Fatalf("worker %d: a certificate not uploaded must be refused, got %d", w, st)
		}
	}

	m.Upload(apiID, "alice", "Gold", alice)
	gw.waitApplied(t, m.ConfigVersion())
	for w := 0; w < 4; w++ {
		if st := gw.request(t, w, path, alice); st != 0 {
			t.Fatalf("worker %d: uploaded certificate refused with %d", w, st)
		}
		if st := gw.request(t, w, "/pizzashack/menu", alice); st != 0 {
			t.Fatalf("worker %d: default-version route refused with %d", w, st)
		}
	}

	m.Remove(apiID, "alice")
	gw.waitApplied(t, m.ConfigVersion())
	for w := 0; w < 4; w++ {
		if st := gw.request(t, w, path, alice); st != http.StatusUnauthorized {
			t.Fatalf("worker %d: deleted certificate still accepted (%d)", w, st)
		}
	}

	// One poller per process: every VM would poll under its own random id,
	// yet the manager has seen exactly one.
	var view struct {
		List []struct{ ID, Kind string }
	}
	m.Call(http.MethodGet, "/gateways", "", nil, &view)
	if len(view.List) != 1 || view.List[0].Kind != "filter" {
		t.Fatalf("want exactly one polling VM, the manager saw %+v", view.List)
	}

	// The manager goes away: the gateway keeps enforcing what it last had.
	bob := clientCert(t, "bob")
	m.Upload(apiID, "bob", "Gold", bob)
	gw.waitApplied(t, m.ConfigVersion())
	listen := m.Addr()
	m.Stop()
	for round := 0; round < 3; round++ {
		_ = gw.host.Pump() // polls fail, ticks run
		for w := 0; w < 4; w++ {
			if st := gw.request(t, w, path, bob); st != 0 {
				t.Fatalf("manager down: worker %d refused a valid certificate (%d)", w, st)
			}
			if st := gw.request(t, w, path, alice); st != http.StatusUnauthorized {
				t.Fatalf("manager down: worker %d accepted a deleted certificate (%d)", w, st)
			}
		}
	}

	// The manager comes back on the same data and address: sync resumes.
	m = testmanager.Start(t, testmanager.Options{Dir: dir, Listen: listen})
	carol := clientCert(t, "carol")
	m.Upload(apiID, "carol", "Gold", carol)
	gw.waitApplied(t, m.ConfigVersion())
	for w := 0; w < 4; w++ {
		if st := gw.request(t, w, path, carol); st != 0 {
			t.Fatalf("after restart: worker %d refused the new certificate (%d)", w, st)
		}
		if st := gw.request(t, w, path, bob); st != 0 {
			t.Fatalf("after restart: worker %d lost an existing certificate (%d)", w, st)
		}
	}
}
