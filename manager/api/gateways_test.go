package api_test

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/certgate/certgate/manager/api"
	"github.com/certgate/certgate/manager/push"
	"github.com/certgate/certgate/shared"
)

type gatewayList struct {
	ConfigVersion uint64 `json:"configVersion"`
	Count         int    `json:"count"`
	List          []struct {
		ID, Kind, Environment string
		Version               uint64
		UpToDate              bool
	} `json:"list"`
}

// poll long-polls like a filter would (outside the publisher API, so not
// through the OpenAPI-validating client).
func (e *env) poll(token, gatewayID string, since uint64) (int, shared.Delta) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+push.SnapshotPath+"?env=Default&since="+strconv.FormatUint(since, 10), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(push.GatewayHeader, gatewayID)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var d shared.Delta
	if res.StatusCode == http.StatusOK {
		buf, err := io.ReadAll(res.Body)
		if err != nil {
			e.t.Fatal(err)
		}
		if d, err = shared.DecodeDelta(buf); err != nil {
			e.t.Fatalf("long-poll body: %v", err)
		}
	}
	return res.StatusCode, d
}

func TestGatewaysView(t *testing.T) {
	e := newEnv(t)
	// Tokens are not interchangeable.
	if st, _ := e.poll(testToken, "gw-a", 0); st != http.StatusUnauthorized {
		t.Fatalf("admin token accepted on the gateway endpoint: %d", st)
	}
	e.token = testGatewayToken
	if r := e.do(http.MethodGet, api.BasePath+"/gateways", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("gateway token accepted on the admin API: %d", r.status)
	}
	e.token = testToken

	st, d := e.poll(testGatewayToken, "gw-a", 0)
	if st != http.StatusOK || !d.Full {
		t.Fatalf("first poll: %d %+v", st, d)
	}
	// The gateway comes back having applied d.Version.
	if st, _ := e.poll(testGatewayToken, "gw-a", d.Version); st != http.StatusNotModified {
		t.Fatalf("up-to-date poll: %d", st)
	}
	var list gatewayList
	r := e.do(http.MethodGet, api.BasePath+"/gateways", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /gateways: %d %s", r.status, r.body)
	}
	r.decode(t, &list)
	if list.Count != 1 || list.List[0].ID != "gw-a" || list.List[0].Kind != "filter" ||
		list.List[0].Version != d.Version || !list.List[0].UpToDate || list.ConfigVersion != d.Version {
		t.Fatalf("gateways view: %+v", list)
	}
}
