package push

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/store/badgerstore"
	"github.com/certgate/certgate/shared"
)

type fixture struct {
	store *badgerstore.Store
	pub   *Publisher
	api   domain.API
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	api, err := st.CreateAPI(ctx, domain.API{Name: "PizzaShack", Version: "1.0.0", Context: "/pizzashack", Provider: "admin",
		IsDefaultVersion: true, SecurityScheme: []string{domain.SchemeMutualSSL, domain.SchemeOAuth2}, ProductionEndpoint: "http://127.0.0.1:1/", LifeCycleStatus: "PUBLISHED"})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := NewPublisher(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go pub.Run(runCtx)
	return &fixture{store: st, pub: pub, api: api}
}

func (f *fixture) addCert(t *testing.T, alias string, typ domain.CertType, c *testcerts.Cert) domain.ClientCertificate {
	t.Helper()
	cc := domain.ClientCertificate{APIID: f.api.ID, Alias: alias, Tier: "Gold", Type: typ}
	cc.Describe(c.Cert)
	got, err := f.store.AddCertificate(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitVersion waits until the publisher reflects the store's version.
func (f *fixture) waitVersion(t *testing.T) uint64 {
	t.Helper()
	want := f.store.ConfigVersion()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		v, ch := f.pub.Watch()
		if v >= want {
			return v
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("publisher stuck at %d, store at %d", v, want)
		}
	}
}

func writesByKey(ws []shared.Write) map[string]shared.Write {
	m := map[string]shared.Write{}
	for _, w := range ws {
		m[w.Key] = w
	}
	return m
}

func TestSnapshotTranslatesAPIsCertsCAsAndTiers(t *testing.T) {
	f := newFixture(t)
	leaf := testcerts.New(testcerts.Spec{CommonName: "client-a"})
	ca := testcerts.New(testcerts.Spec{CommonName: "Team CA", IsCA: true})
	f.addCert(t, "a", domain.CertTypeClient, leaf)
	f.addCert(t, "team-ca", domain.CertTypeCA, ca)
	state, err := f.store.ReadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Snapshot(state, DefaultEnvironment)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.APIs) != 1 || s.APIs[0].Context != "pizzashack" || !s.APIs[0].Default ||
		s.APIs[0].Security != shared.SecMutualSSL|shared.SecOAuth2 || s.APIs[0].ID() != "admin--PizzaShack:v1.0.0" {
		t.Fatalf("API: %+v", s.APIs)
	}
	if len(s.Certs) != 1 || s.Certs[0].CN != "client-a" || s.Certs[0].Tier != "Gold" || s.Certs[0].APIID != "admin--PizzaShack:v1.0.0" {
		t.Fatalf("certs: %+v", s.Certs)
	}
	if len(s.CAs) != 1 || s.CAs[0].SubjectHash == "" || len(s.CAs[0].PublicKey) == 0 || s.CAs[0].Alias != "team-ca" {
		t.Fatalf("CAs: %+v", s.CAs)
	}
	tiers := map[string]shared.Tier{}
	for _, tr := range s.Tiers {
		tiers[tr.Name] = tr
	}
	if g := tiers["Gold"]; g.Count != 5000 || g.UnitMillis != 60000 {
		t.Fatalf("Gold tier: %+v", g)
	}
	if u := tiers["Unlimited"]; !u.Unlimited() {
		t.Fatalf("Unlimited tier: %+v", u)
	}
	other, err := Snapshot(state, "Staging")
	if err != nil || len(other.APIs) != 0 || len(other.Certs) != 0 {
		t.Fatalf("an API deployed to Default leaked into Staging: %+v %v", other, err)
	}
}

func TestDeltaFollowsChanges(t *testing.T) {
	f := newFixture(t)
	v0 := f.waitVersion(t)
	full, ok := f.pub.Delta(DefaultEnvironment, 0)
	if !ok || !full.Full || full.Version != v0 {
		t.Fatalf("since=0 must be a full snapshot at %d: %+v", v0, full)
	}
	if _, ok := writesByKey(full.Writes)[shared.KeyAPI("pizzashack", "1.0.0")]; !ok {
		t.Fatal("full snapshot lacks the API")
	}
	if _, ok := f.pub.Delta(DefaultEnvironment, v0); ok {
		t.Fatal("a gateway at the current version must get nothing")
	}

	leaf := testcerts.New(testcerts.Spec{CommonName: "client-a"})
	c := f.addCert(t, "a", domain.CertTypeClient, leaf)
	v1 := f.waitVersion(t)
	d, ok := f.pub.Delta(DefaultEnvironment, v0)
	certKey := shared.KeyCert("admin--PizzaShack:v1.0.0", c.Fingerprint)
	if !ok || d.Full || d.Version != v1 || len(d.Writes) != 1 || d.Writes[0].Key != certKey || d.Writes[0].Delete {
		t.Fatalf("delta after upload: %+v", d)
	}

	if _, err := f.store.RemoveCertificate(context.Background(), f.api.ID, "a"); err != nil {
		t.Fatal(err)
	}
	v2 := f.waitVersion(t)
	d, _ = f.pub.Delta(DefaultEnvironment, v1)
	if len(d.Writes) != 1 || !d.Writes[0].Delete || d.Writes[0].Key != certKey || d.Version != v2 {
		t.Fatalf("delta after delete: %+v", d)
	}
	// From v0, the add and the delete fold into one tombstone.
	d, _ = f.pub.Delta(DefaultEnvironment, v0)
	if w := writesByKey(d.Writes)[certKey]; !w.Delete {
		t.Fatalf("folded delta must end with the tombstone: %+v", d)
	}
	// A full snapshot carries the tombstone too, so a stale gateway drops the key.
	d, _ = f.pub.Delta(DefaultEnvironment, 0)
	if w, ok := writesByKey(d.Writes)[certKey]; !ok || !w.Delete {
		t.Fatalf("full snapshot must tombstone the deleted certificate: %+v", w)
	}
	// Ahead of the manager (a restored manager): full.
	if d, _ := f.pub.Delta(DefaultEnvironment, v2+10); !d.Full {
		t.Fatal("a gateway ahead of the manager must get a full snapshot")
	}
}

func TestPublisherAfterRestartSendsFullToOlderGateways(t *testing.T) {
	dir := t.TempDir()
	st, err := badgerstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.CreateAPI(ctx, domain.API{Name: "A", Version: "1", Context: "/a", SecurityScheme: []string{domain.SchemeMutualSSL}, ProductionEndpoint: "http://127.0.0.1:1/"}); err != nil {
		t.Fatal(err)
	}
	before := st.ConfigVersion()
	st.Close()
	st, err = badgerstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, err := NewPublisher(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := pub.Delta(DefaultEnvironment, before-1); !ok || !d.Full {
		t.Fatalf("no history before the restart: a gateway behind must get a full snapshot, got %+v", d)
	}
	if _, ok := pub.Delta(DefaultEnvironment, before); ok {
		t.Fatal("a gateway already at the restored version needs nothing")
	}
}

func newLongPollServer(t *testing.T, f *fixture) (*httptest.Server, *Gateways) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	gw := NewGateways()
	r.GET(SnapshotPath, GatewayAuth("gw-secret"), LongPoll(f.pub, gw))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, gw
}

func poll(t *testing.T, srv *httptest.Server, token, query string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+SnapshotPath+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set(GatewayHeader, "gw-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func TestLongPoll(t *testing.T) {
	f := newFixture(t)
	srv, gw := newLongPollServer(t, f)
	v0 := f.waitVersion(t)

	for name, tc := range map[string]struct {
		token, query string
		status       int
	}{
		"fail/no-token":         {"", "?since=0", 401},
		"fail/admin-token":      {"admin-secret", "?since=0", 401},
		"fail/bad-since":        {"gw-secret", "?since=-1", 400},
		"fail/bad-env":          {"gw-secret", "?env=a/b", 400},
		"fail/wait-too-long":    {"gw-secret", "?wait=301", 400},
		"ok/full":               {"gw-secret", "?since=0", 200},
		"ok/up-to-date-no-wait": {"gw-secret", "?since=" + strconv.FormatUint(v0, 10), 304},
	} {
		t.Run(name, func(t *testing.T) {
			res, body := poll(t, srv, tc.token, tc.query)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if tc.status == 200 {
				d, err := shared.DecodeDelta(body)
				if err != nil || !d.Full || d.Version != v0 || res.Header.Get("Content-Type") != shared.ContentTypeDelta {
					t.Fatalf("bad delta: %+v %v", d, err)
				}
			}
		})
	}

	t.Run("ok/held-until-change", func(t *testing.T) {
		type result struct {
			status int
			body   []byte
		}
		done := make(chan result, 1)
		go func() {
			res, body := poll(t, srv, "gw-secret", "?wait=10&since="+strconv.FormatUint(v0, 10))
			done <- result{res.StatusCode, body}
		}()
		select {
		case r := <-done:
			t.Fatalf("poll returned before any change: %d", r.status)
		case <-time.After(200 * time.Millisecond):
		}
		c := f.addCert(t, "late", domain.CertTypeClient, testcerts.New(testcerts.Spec{CommonName: "late"}))
		select {
		case r := <-done:
			d, err := shared.DecodeDelta(r.body)
			if r.status != 200 || err != nil || len(d.Writes) != 1 || d.Writes[0].Key != shared.KeyCert("admin--PizzaShack:v1.0.0", c.Fingerprint) {
				t.Fatalf("held poll answered %d %+v %v", r.status, d, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("held poll was not woken by the change")
		}
	})

	t.Run("ok/wait-expires", func(t *testing.T) {
		v := f.waitVersion(t)
		start := time.Now()
		res, _ := poll(t, srv, "gw-secret", "?wait=0.2&since="+strconv.FormatUint(v, 10))
		if res.StatusCode != 304 || time.Since(start) < 150*time.Millisecond {
			t.Fatalf("want 304 after the wait, got %d after %v", res.StatusCode, time.Since(start))
		}
	})

	list := gw.List()
	if len(list) != 1 || list[0].ID != "gw-1" || list[0].Kind != "filter" || list[0].Environment != DefaultEnvironment {
		t.Fatalf("gateways view: %+v", list)
	}
}
