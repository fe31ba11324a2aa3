package push

import (
	"context"
	"slices"
	"testing"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/shared"
)

// TestSnapshotPerEnvironment: an API deployed to Staging (and its
// certificates) appears only in Staging's snapshot; one deployed to both
// appears in both.
func TestSnapshotPerEnvironment(t *testing.T) {
	f := newFixture(t) // PizzaShack, deployed to Default
	ctx := context.Background()
	staging, err := f.store.CreateAPI(ctx, domain.API{Name: "Stage", Version: "1", Context: "/stage", Provider: "admin",
		SecurityScheme: []string{domain.SchemeMutualSSL}, ProductionEndpoint: "https://stage.example.com/", GatewayEnvironments: []string{"Staging"}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := f.store.CreateAPI(ctx, domain.API{Name: "Both", Version: "1", Context: "/both", Provider: "admin",
		SecurityScheme: []string{domain.SchemeOAuth2}, ProductionEndpoint: "http://10.0.0.1/", GatewayEnvironments: []string{"Default", "Staging"}})
	if err != nil {
		t.Fatal(err)
	}
	cc := domain.ClientCertificate{APIID: staging.ID, Alias: "s", Tier: "Gold", Type: domain.CertTypeClient}
	cc.Describe(testcerts.New(testcerts.Spec{CommonName: "staging-client"}).Cert)
	if _, err := f.store.AddCertificate(ctx, cc); err != nil {
		t.Fatal(err)
	}
	state, err := f.store.ReadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	apis := func(s *shared.Snapshot) []string {
		var out []string
		for _, a := range s.APIs {
			out = append(out, a.Name)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		name  string
		env   string
		apis  []string
		certs int
	}{
		{"ok/default", "Default", []string{"Both", "PizzaShack"}, 0},
		{"ok/staging", "Staging", []string{"Both", "Stage"}, 1},
		{"ok/other", "Prod", nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Snapshot(state, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := apis(s); !slices.Equal(got, tc.apis) || len(s.Certs) != tc.certs {
				t.Fatalf("APIs %v certs %d, want %v and %d", got, len(s.Certs), tc.apis, tc.certs)
			}
		})
	}
	if !slices.Equal(APIEnvironments(both), []string{"Default", "Staging"}) || !slices.Equal(APIEnvironments(domain.API{}), []string{"Default"}) {
		t.Fatal("APIEnvironments")
	}
	// The publisher serves Staging as its own environment.
	f.waitVersion(t)
	if !slices.Contains(f.pub.Environments(), "Staging") {
		t.Fatalf("environments %v", f.pub.Environments())
	}
	d, ok := f.pub.Delta("Staging", 0)
	if _, has := writesByKey(d.Writes)[shared.KeyAPI("stage", "1")]; !ok || !has {
		t.Fatalf("Staging delta lacks its API: %+v", d)
	}
	d, _ = f.pub.Delta(DefaultEnvironment, 0)
	if _, has := writesByKey(d.Writes)[shared.KeyAPI("stage", "1")]; has {
		t.Fatal("Default delta carries the Staging API")
	}
}
