package badgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/store/badgerstore"
)

func open(t *testing.T, dir string) *badgerstore.Store {
	t.Helper()
	s, err := badgerstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newAPI(t *testing.T, s *badgerstore.Store, name string) domain.API {
	t.Helper()
	a := domain.API{Name: name, Version: "1", Context: "/" + name, ProductionEndpoint: "http://127.0.0.1:1/"}
	a.Normalize()
	a, err := s.CreateAPI(domain.WithActor(context.Background(), "tester"), a)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newCert(apiID, alias, cn string) domain.ClientCertificate {
	c := testcerts.New(testcerts.Spec{CommonName: cn})
	cc := domain.ClientCertificate{APIID: apiID, Alias: alias, Tier: "Gold", Type: domain.CertTypeClient}
	cc.Describe(c.Cert)
	return cc
}

// TestCreateIfAbsentIsAtomic races uploads of one alias (and of one
// certificate under many aliases): exactly one of each wins.
func TestCreateIfAbsentIsAtomic(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	a := newAPI(t, s, "race")
	same := newCert(a.ID, "x", "same")
	cases := []struct {
		name    string
		cert    func(i int) domain.ClientCertificate
		wantErr error
	}{
		{"ok/one-alias-many-certs", func(i int) domain.ClientCertificate { return newCert(a.ID, "contested", fmt.Sprint("c", i)) }, domain.ErrAlreadyExists},
		{"ok/one-cert-many-aliases", func(i int) domain.ClientCertificate { c := same; c.Alias = fmt.Sprint("alias-", i); return c }, domain.ErrAlreadyExists},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const n = 16
			certs := make([]domain.ClientCertificate, n)
			for i := range certs {
				certs[i] = c.cert(i)
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() { defer wg.Done(); _, errs[i] = s.AddCertificate(context.Background(), certs[i]) }()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, c.wantErr):
					t.Fatalf("unexpected error %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d winners, want 1", wins)
			}
		})
	}
}

func TestPersistenceHistoryAndVersion(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := domain.WithActor(context.Background(), "tester")
	v0 := s.ConfigVersion()
	if v0 != 1 { // the seeding of default tiers
		t.Fatalf("fresh store at version %d", v0)
	}
	a := newAPI(t, s, "persist")
	c1 := newCert(a.ID, "one", "one")
	if _, err := s.AddCertificate(ctx, c1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveCertificate(ctx, a.ID, "one"); err != nil {
		t.Fatal(err)
	}
	c1b := newCert(a.ID, "one", "one-again") // alias reused
	if _, err := s.AddCertificate(ctx, c1b); err != nil {
		t.Fatal(err)
	}
	_, watch := s.Watch()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch:
		t.Fatal("watch fired without a change")
	default:
	}

	s = open(t, dir)
	defer s.Close()
	if v := s.ConfigVersion(); v != v0+4 {
		t.Fatalf("version after reopen %d, want %d", v, v0+4)
	}
	tiers, _ := s.ListTiers(ctx)
	if len(tiers) != 4 {
		t.Fatalf("tiers re-seeded or lost: %d", len(tiers))
	}
	got, err := s.GetCertificate(ctx, a.ID, "one")
	if err != nil || got.CommonName != "one-again" || got.Fingerprint != c1b.Fingerprint {
		t.Fatalf("active cert %+v %v", got, err)
	}
	hist, _ := s.CertificateHistory(ctx, a.ID)
	if len(hist) != 1 || !hist[0].Removed || hist[0].Fingerprint != c1.Fingerprint {
		t.Fatalf("history %+v", hist)
	}
	entries, total, err := s.ListAudit(ctx, 0, 10)
	if err != nil || total != 5 || len(entries) != 5 {
		t.Fatalf("audit %d/%d %v", len(entries), total, err)
	}
	wantActions := []string{domain.ActionCertAdd, domain.ActionCertRemove, domain.ActionCertAdd, domain.ActionAPICreate, domain.ActionStoreCreated}
	for i, e := range entries {
		if e.Action != wantActions[i] || e.ConfigVersion != uint64(5-i) {
			t.Fatalf("audit[%d] = %+v", i, e)
		}
		if i < 4 && e.Actor != "tester" {
			t.Fatalf("audit[%d] actor %q", i, e.Actor)
		}
	}
	st, err := s.ReadConfig(ctx)
	if err != nil || st.Version != 5 || len(st.APIs) != 1 || len(st.Certificates) != 1 || len(st.Tiers) != 4 ||
		len(st.Certificates[0].DER) == 0 || st.Certificates[0].NotAfter.IsZero() {
		t.Fatalf("config state %+v %v", st, err)
	}
}

func TestDeleteAPICascades(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	a := newAPI(t, s, "cascade")
	b := newAPI(t, s, "other")
	for i := range 3 {
		if _, err := s.AddCertificate(ctx, newCert(a.ID, fmt.Sprint("a", i), fmt.Sprint("a", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddCertificate(ctx, newCert(b.ID, "b0", "b0")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAPI(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	active, _ := s.ListActiveCertificates(ctx)
	hist, _ := s.CertificateHistory(ctx, a.ID)
	if len(active) != 1 || active[0].APIID != b.ID || len(hist) != 3 {
		t.Fatalf("active %d history %d", len(active), len(hist))
	}
	if _, err := s.ListCertificates(ctx, a.ID, domain.CertQuery{Limit: 10}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("list on deleted API: %v", err)
	}
	if err := s.DeleteTier(ctx, "Gold"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("Gold still used by b0: %v", err)
	}
}
