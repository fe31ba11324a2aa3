package api_test

import (
	"net/http"
	"testing"

	"github.com/certgate/certgate/manager/internal/testcerts"
)

type tierBody struct {
	Name         string `json:"name"`
	RequestCount int64  `json:"requestCount"`
	UnitTime     int64  `json:"unitTime"`
	TimeUnit     string `json:"timeUnit"`
	Unlimited    bool   `json:"unlimited"`
}

func TestTiers(t *testing.T) {
	e := newEnv(t)
	var list struct {
		Count int        `json:"count"`
		List  []tierBody `json:"list"`
	}
	e.getJSON("/throttling-policies/subscription").decode(t, &list)
	want := map[string]tierBody{
		"Bronze":    {Name: "Bronze", RequestCount: 1000, UnitTime: 1, TimeUnit: "min"},
		"Silver":    {Name: "Silver", RequestCount: 2000, UnitTime: 1, TimeUnit: "min"},
		"Gold":      {Name: "Gold", RequestCount: 5000, UnitTime: 1, TimeUnit: "min"},
		"Unlimited": {Name: "Unlimited", UnitTime: 1, TimeUnit: "min", Unlimited: true},
	}
	if list.Count != 4 {
		t.Fatalf("seeded tiers: %+v", list)
	}
	for _, tr := range list.List {
		if want[tr.Name] != tr {
			t.Fatalf("seeded tier %+v, want %+v", tr, want[tr.Name])
		}
	}

	r := e.sendJSON(http.MethodPost, "/throttling-policies/subscription", map[string]any{"name": "Platinum", "requestCount": 10, "unitTime": 2, "timeUnit": "sec"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = e.sendJSON(http.MethodPut, "/throttling-policies/subscription/Platinum", map[string]any{"requestCount": 20, "timeUnit": "hour"})
	var tb tierBody
	r.decode(t, &tb)
	if r.status != http.StatusOK || tb != (tierBody{Name: "Platinum", RequestCount: 20, UnitTime: 1, TimeUnit: "hour"}) {
		t.Fatalf("update: %d %+v", r.status, tb)
	}
	e.getJSON("/throttling-policies/subscription/Platinum").decode(t, &tb)
	if tb.RequestCount != 20 {
		t.Fatalf("get after update: %+v", tb)
	}

	// In use by a certificate: 409 until the certificate moves to another tier.
	apiID := e.createAPI("Tiered", "/tiered", "1")
	c := testcerts.New(testcerts.Spec{CommonName: "tiered"})
	mustUpload(t, e, apiID, "t1", "Platinum", testcerts.PEM(c.Cert.Raw))
	if r := e.do(http.MethodDelete, v4("/throttling-policies/subscription/Platinum"), "", nil); r.status != http.StatusConflict {
		t.Fatalf("delete in-use tier: %d %s", r.status, r.body)
	}
	if r := e.upload(http.MethodPut, certsPath(apiID)+"/t1", map[string]string{"tier": "Bronze"}, "", nil); r.status != http.StatusOK {
		t.Fatalf("move certificate to Bronze: %d %s", r.status, r.body)
	}
	if r := e.do(http.MethodDelete, v4("/throttling-policies/subscription/Platinum"), "", nil); r.status != http.StatusOK {
		t.Fatalf("delete unused tier: %d %s", r.status, r.body)
	}
	// A removed certificate no longer holds its tier.
	if r := e.do(http.MethodDelete, v4(certsPath(apiID)+"/t1"), "", nil); r.status != http.StatusOK {
		t.Fatalf("remove certificate: %d %s", r.status, r.body)
	}
	if r := e.do(http.MethodDelete, v4("/throttling-policies/subscription/Bronze"), "", nil); r.status != http.StatusOK {
		t.Fatalf("delete Bronze after its certificate was removed: %d %s", r.status, r.body)
	}
}
