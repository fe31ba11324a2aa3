package plugin

import (
	"fmt"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"

	"github.com/certgate/certgate/filter/internal/route"
	"github.com/certgate/certgate/shared"
)

// publish moves the emulator's shared data from prev to next like the sync does.
func publish(t *testing.T, prev, next *shared.Snapshot) {
	t.Helper()
	var pe map[string][]byte
	if prev != nil {
		pe = prev.Entries()
	}
	if _, err := shared.Publish(sharedKV{}, shared.Diff(pe, next.Entries())); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func viewSnapshot(goldCount uint64) *shared.Snapshot {
	return &shared.Snapshot{
		APIs:  []shared.API{{Provider: "admin", Name: "Pizza", Version: "1.0.0", Context: "pizza", Default: true, Security: shared.SecMutualSSL}},
		Tiers: []shared.Tier{{Name: "Gold", Count: goldCount, UnitMillis: 60_000}},
	}
}

// TestViewFollowsGeneration: decoded answers are reused within a generation
// and dropped as soon as a new generation is published.
func TestViewFollowsGeneration(t *testing.T) {
	_, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(NewVMContext()))
	defer reset()
	s1 := viewSnapshot(10)
	publish(t, nil, s1)
	st := &store{cache: newRecordCache(64)}
	if !st.load() {
		t.Fatal("no generation after publish")
	}
	tier, ok := st.tier("Gold")
	if !ok || tier.Count != 10 {
		t.Fatalf("tier = %+v, %v", tier, ok)
	}
	m1, ok := route.FindIn("/pizza/1.0.0/menu", st)
	if !ok || m1.ID != "admin--Pizza:v1.0.0" {
		t.Fatalf("route = %+v, %v", m1, ok)
	}
	if m, _ := route.FindIn("/pizza/1.0.0/other", st); m.Entry != m1.Entry {
		t.Fatal("same API decoded twice in one generation")
	}
	if m, ok := route.FindIn("/pizza/menu", st); !ok || !m.ViaDefault || m.ID != m1.ID {
		t.Fatalf("default route = %+v, %v", m, ok)
	}

	publish(t, s1, viewSnapshot(20))
	if !st.load() {
		t.Fatal("no generation after the second publish")
	}
	if tier, _ := st.tier("Gold"); tier.Count != 20 {
		t.Fatalf("tier after update = %+v, want the new count at once", tier)
	}
	if m, _ := route.FindIn("/pizza/1.0.0/menu", st); m.Entry == m1.Entry {
		t.Fatal("route entry of the old generation reused")
	}
}

// TestViewBounded: a flood of distinct keys (unknown routes, tiers) never
// grows a view map past viewMaxEntries.
func TestViewBounded(t *testing.T) {
	_, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(NewVMContext()))
	defer reset()
	publish(t, nil, viewSnapshot(10))
	st := &store{cache: newRecordCache(64)}
	if !st.load() {
		t.Fatal("no generation")
	}
	for i := 0; i < viewMaxEntries+100; i++ {
		if _, ok := st.tier(fmt.Sprintf("t%d", i)); ok {
			t.Fatalf("unknown tier t%d found", i)
		}
		if _, ok := route.FindIn(fmt.Sprintf("/c%d/v/x", i), st); ok {
			t.Fatalf("unknown route %d matched", i)
		}
	}
	if n := len(st.view.tiers); n > viewMaxEntries {
		t.Fatalf("tiers map holds %d entries", n)
	}
	if n, d := len(st.view.apis), len(st.view.defaults); n > viewMaxEntries || d > viewMaxEntries {
		t.Fatalf("route maps hold %d / %d entries", n, d)
	}
	if _, ok := route.FindIn("/pizza/1.0.0/menu", st); !ok {
		t.Fatal("known route lost after the flood")
	}
}
