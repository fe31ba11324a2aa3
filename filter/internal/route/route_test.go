package route

import (
	"testing"

	"github.com/certgate/certgate/shared"
)

type mapLookup map[string][]byte

func (m mapLookup) Record(key string) ([]byte, bool) { v, ok := m[key]; return v, ok }

func TestFind(t *testing.T) {
	s := shared.Snapshot{APIs: []shared.API{
		{Provider: "admin", Name: "Pizza", Version: "1.0.0", Context: "pizzashack", Default: true},
		{Provider: "admin", Name: "Pizza", Version: "2.0.0", Context: "pizzashack"},
		{Provider: "admin", Name: "Tenant", Version: "v1", Context: "t/acme/orders"},
		{Provider: "admin", Name: "NoDefault", Version: "1", Context: "nodefault"},
	}}
	l := mapLookup(s.Entries())
	cases := []struct {
		name, path, wantID string
		viaDefault         bool
	}{
		{"versioned", "/pizzashack/1.0.0/menu", "admin--Pizza:v1.0.0", false},
		{"versioned-2", "/pizzashack/2.0.0/menu?x=1", "admin--Pizza:v2.0.0", false},
		{"version-only", "/pizzashack/2.0.0", "admin--Pizza:v2.0.0", false},
		{"default", "/pizzashack/menu", "admin--Pizza:v1.0.0", true},
		{"default-root", "/pizzashack", "admin--Pizza:v1.0.0", true},
		{"default-query", "/pizzashack?a=b", "admin--Pizza:v1.0.0", true},
		{"unknown-version-default", "/pizzashack/9.9.9/menu", "admin--Pizza:v1.0.0", true},
		{"multi-segment", "/t/acme/orders/v1/list", "admin--Tenant:vv1", false},
		{"no-default", "/nodefault/menu", "", false},
		{"unknown", "/other/1.0.0", "", false},
		{"empty", "", "", false},
		{"relative", "pizzashack/1.0.0", "", false},
		{"double-slash", "//pizzashack/1.0.0", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, ok := Find(c.path, l)
			if ok != (c.wantID != "") || (ok && (m.API.ID() != c.wantID || m.ViaDefault != c.viaDefault)) {
				t.Fatalf("got %v %+v", ok, m)
			}
		})
	}
}

func FuzzFind(f *testing.F) {
	s := shared.Snapshot{APIs: []shared.API{{Provider: "a", Name: "b", Version: "1", Context: "c", Default: true}}}
	l := mapLookup(s.Entries())
	for _, p := range []string{"/c/1/x", "/c", "/", "", "//", "/c/", "/a/b/c/d/e/f", "?#"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) { _, _ = Find(p, l) })
}
