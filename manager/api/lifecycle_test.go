package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
)

type certList struct {
	Count        int `json:"count"`
	Certificates []struct {
		Alias string `json:"alias"`
		APIID string `json:"apiId"`
		Tier  string `json:"tier"`
	} `json:"certificates"`
	Pagination struct {
		Offset, Limit, Total int
		Next, Previous       string
	} `json:"pagination"`
}

func TestCertificatePaging(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI("Paged", "/paged", "1")
	for i := range 5 {
		c := testcerts.New(testcerts.Spec{CommonName: fmt.Sprintf("c%d", i)})
		mustUpload(t, e, apiID, fmt.Sprintf("c%d", i), "Gold", testcerts.PEM(c.Cert.Raw))
	}
	cases := []struct {
		name, query    string
		aliases        string
		total          int
		next, previous bool
	}{
		{"ok/first-page", "?limit=2", "c0,c1", 5, true, false},
		{"ok/middle-page", "?limit=2&offset=2", "c2,c3", 5, true, true},
		{"ok/last-page", "?limit=2&offset=4", "c4", 5, false, true},
		{"ok/past-the-end", "?limit=2&offset=10", "", 5, false, true},
		{"ok/default-limit", "", "c0,c1,c2,c3,c4", 5, false, false},
		{"ok/alias-filter", "?alias=c3", "c3", 1, false, false},
		{"ok/alias-filter-miss", "?alias=zz", "", 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l certList
			e.getJSON(certsPath(apiID)+c.query).decode(t, &l)
			var got []string
			for _, cc := range l.Certificates {
				if cc.APIID != apiID || cc.Tier != "Gold" {
					t.Fatalf("item %+v", cc)
				}
				got = append(got, cc.Alias)
			}
			if strings.Join(got, ",") != c.aliases || l.Count != len(got) || l.Pagination.Total != c.total ||
				(l.Pagination.Next != "") != c.next || (l.Pagination.Previous != "") != c.previous {
				t.Fatalf("got %v %+v", got, l)
			}
		})
	}
	var l certList
	e.getJSON(certsPath(apiID)+"?limit=2&offset=2").decode(t, &l)
	if l.Pagination.Next != "/apis/"+apiID+"/client-certificates?limit=2&offset=4" {
		t.Fatalf("next link %q", l.Pagination.Next)
	}
}

func TestCertificateUpdateAndRemove(t *testing.T) {
	e := newEnv(t)
	apiID := e.createAPI("Life", "/life", "1")
	a := testcerts.New(testcerts.Spec{CommonName: "a"})
	b := testcerts.New(testcerts.Spec{CommonName: "b"})
	a2 := testcerts.New(testcerts.Spec{CommonName: "a-renewed"})
	mustUpload(t, e, apiID, "a", "Gold", testcerts.PEM(a.Cert.Raw))
	mustUpload(t, e, apiID, "b", "Gold", testcerts.PEM(b.Cert.Raw))
	v0 := e.store.ConfigVersion()

	// Bad updates change nothing.
	bad := []struct {
		name   string
		alias  string
		fields map[string]string
		file   []byte
		status int
		code   int64
	}{
		{"fail/update-nothing", "a", map[string]string{}, nil, 400, domain.CodeValidation},
		{"fail/update-to-cert-of-other-alias", "a", nil, testcerts.PEM(b.Cert.Raw), 409, domain.CodeCertAlreadyBound},
		{"fail/update-unknown-tier", "a", map[string]string{"tier": "Platinum"}, nil, 400, domain.CodeTierNotFound},
		{"fail/update-unknown-alias", "zz", map[string]string{"tier": "Gold"}, nil, 404, domain.CodeCertNotFound},
		{"fail/update-private-key", "a", nil, testcerts.KeyPEM(a2.Key), 400, domain.CodePrivateKeyRefused},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(apiID)
			r := e.upload(http.MethodPut, certsPath(apiID)+"/"+c.alias, c.fields, "x.crt", c.file)
			if code, _ := r.err(); r.status != c.status || code != c.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if e.state(apiID) != before {
				t.Fatal("state changed")
			}
		})
	}

	// Replace a's certificate and tier in one request.
	r := e.upload(http.MethodPut, certsPath(apiID)+"/a", map[string]string{"tier": "Silver"}, "a.crt", testcerts.PEM(a2.Cert.Raw))
	if r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	got, err := e.store.GetCertificate(t.Context(), apiID, "a")
	if err != nil || got.Fingerprint != domain.Fingerprint(a2.Cert.Raw) || got.Tier != "Silver" || got.CommonName != "a-renewed" {
		t.Fatalf("after update: %+v %v", got, err)
	}
	// The old certificate of a is free to be bound again under a new alias.
	mustUpload(t, e, apiID, "a-old", "Gold", testcerts.PEM(a.Cert.Raw))

	// Remove b: history keeps it, the alias is reusable, the fingerprint too.
	if r := e.do(http.MethodDelete, v4(certsPath(apiID)+"/b"), "", nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.getJSON(certsPath(apiID) + "/b"); r.status != http.StatusNotFound {
		t.Fatalf("removed alias still found: %d", r.status)
	}
	mustUpload(t, e, apiID, "b", "Bronze", testcerts.PEM(b.Cert.Raw))
	hist, err := e.store.CertificateHistory(t.Context(), apiID)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
	for _, h := range hist {
		if !h.Removed || h.RemovedAt.IsZero() {
			t.Fatalf("history entry not flagged removed: %+v", h)
		}
	}

	// Every change bumped the version once and left an audit entry by admin.
	if v := e.store.ConfigVersion(); v != v0+4 {
		t.Fatalf("config version %d, want %d", v, v0+4)
	}
	var audit struct {
		Count int `json:"count"`
		List  []struct {
			ID            uint64 `json:"id"`
			Actor, Action string
			Resource      string
			ConfigVersion uint64 `json:"configVersion"`
		} `json:"list"`
	}
	e.getJSON("/audit?limit=4").decode(t, &audit)
	wantActions := []string{"certificate.add", "certificate.remove", "certificate.add", "certificate.update"}
	for i, en := range audit.List {
		if en.Actor != "admin" || en.Action != wantActions[i] || en.ConfigVersion != v0+4-uint64(i) {
			t.Fatalf("audit[%d] = %+v", i, en)
		}
	}
	var ver struct{ Version uint64 }
	e.getJSON("/config-version").decode(t, &ver)
	if ver.Version != v0+4 {
		t.Fatalf("config-version endpoint says %d", ver.Version)
	}
}

// TestWatchFiresAfterCommit: a watcher taken before a change is woken by it
// and sees the new version (what config push will rely on).
func TestWatchFiresAfterCommit(t *testing.T) {
	e := newEnv(t)
	v, ch := e.store.Watch()
	e.createAPI("Watched", "/watched", "1")
	select {
	case <-ch:
	default:
		t.Fatal("watch channel not closed after a committed change")
	}
	if nv := e.store.ConfigVersion(); nv != v+1 {
		t.Fatalf("version %d after one change from %d", nv, v)
	}
}
