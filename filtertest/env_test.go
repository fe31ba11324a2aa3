package filtertest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

// API identifiers of the test world.
const (
	idBoth      = "admin--Both:v1.0.0"
	idBoth2     = "admin--Both:v2.0.0"
	idMTLS      = "admin--MTLS:v1.0.0"
	idOAuth     = "admin--OAuth:v1.0.0"
	idMTLSMand  = "admin--MTLSMand:v1.0.0"
	idOAuthMand = "admin--OAuthMand:v1.0.0"
	idBothMand  = "admin--BothMand:v1.0.0"
	idLimited   = "admin--Limited:v1.0.0"
	idPolicy    = "admin--Policy:v1.0.0"
	idTokenTier = "admin--TokenTier:v1.0.0"
)

// world is the PKI, the identity provider and the snapshot the tests share.
type world struct {
	ca, otherCA  *issued
	client       *issued // pinned on every API (issued by otherCA, which is not uploaded)
	issuedClient *issued // issued by ca, which is uploaded for every API; not pinned
	stranger     *issued // issued by otherCA, neither pinned nor CA-trusted
	expired      *issued // pinned, expired at t0
	revoked      *issued // pinned, revoked
	renewed      *issued // pinned, same CN as client (throttle budget follows the CN)
	lb           *issued // the load balancer's own client certificate
	idp, rogue   *idp
	snap         *shared.Snapshot
}

var (
	worldOnce sync.Once
	theWorld  *world
)

func getWorld(t testing.TB) *world {
	worldOnce.Do(func() { theWorld = buildWorld(t) })
	if theWorld == nil {
		t.Fatal("test world could not be built")
	}
	return theWorld
}

func buildWorld(t testing.TB) *world {
	w := &world{ca: newCA(t, "certgate Test CA"), otherCA: newCA(t, "Other CA")}
	valid := func(cn string) *issued {
		return newLeaf(t, w.otherCA, cn, t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour))
	}
	w.client = valid("client-one")
	w.renewed = valid("client-one")
	w.stranger = valid("stranger")
	w.revoked = valid("revoked-client")
	w.lb = valid("load-balancer")
	w.expired = newLeaf(t, w.otherCA, "expired-client", t0.Add(-48*time.Hour), t0.Add(-time.Hour))
	w.issuedClient = newLeaf(t, w.ca, "issued-client", t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour))
	w.idp = newIDP(t, "https://idp.certgate.test")
	w.rogue = newIDP(t, "https://rogue.test")

	both := shared.SecMutualSSL | shared.SecOAuth2
	apis := []shared.API{
		{Provider: "admin", Name: "Both", Version: "1.0.0", Context: "both", Default: true, Security: both},
		{Provider: "admin", Name: "Both", Version: "2.0.0", Context: "both", Security: both},
		{Provider: "admin", Name: "MTLS", Version: "1.0.0", Context: "mtls", Security: shared.SecMutualSSL},
		{Provider: "admin", Name: "OAuth", Version: "1.0.0", Context: "oauth", Security: shared.SecOAuth2, Audience: "oauth-audience"},
		{Provider: "admin", Name: "MTLSMand", Version: "1.0.0", Context: "mtlsmand", Security: both | shared.SecMutualSSLMandatory},
		{Provider: "admin", Name: "OAuthMand", Version: "1.0.0", Context: "oauthmand", Security: both | shared.SecOAuth2Mandatory},
		{Provider: "admin", Name: "BothMand", Version: "1.0.0", Context: "bothmand", Security: both | shared.SecMutualSSLMandatory | shared.SecOAuth2Mandatory},
		{Provider: "admin", Name: "Limited", Version: "1.0.0", Context: "limited", Security: both, TokenTier: "PerMin100"},
		{Provider: "admin", Name: "Policy", Version: "1.0.0", Context: "policy", Security: shared.SecMutualSSL, Policy: "API5"},
		{Provider: "admin", Name: "TokenTier", Version: "1.0.0", Context: "tokentier", Security: shared.SecOAuth2, TokenTier: "PerMin3"},
	}
	s := &shared.Snapshot{APIs: apis,
		Revoked: []string{w.revoked.fingerprint()},
		Tiers: []shared.Tier{
			{Name: "Gold", Count: 1_000_000, UnitMillis: 60_000},
			{Name: "Silver", Count: 1_000_000, UnitMillis: 60_000},
			{Name: "PerMin100", Count: 100, UnitMillis: 60_000},
			{Name: "PerMin3", Count: 3, UnitMillis: 60_000},
			{Name: "API5", Count: 5, UnitMillis: 60_000},
		},
		Issuers: []shared.Issuer{w.idp.record()},
	}
	for _, a := range apis {
		tier := "Gold"
		if a.Context == "limited" {
			tier = "PerMin100"
		}
		id := a.ID()
		s.Certs = append(s.Certs,
			certRecord(id, "client-one", tier, w.client),
			certRecord(id, "client-one-renewed", tier, w.renewed),
			certRecord(id, "expired", tier, w.expired),
			certRecord(id, "revoked", tier, w.revoked))
		s.CAs = append(s.CAs, caRecord(id, "test-ca", "Silver", w.ca))
	}
	w.snap = s
	return w
}

// env is one Envoy (host) with the filter configured on it.
type env struct {
	t      testing.TB
	w      *world
	host   *wasmtest.Host
	plugin *wasmtest.Plugin
	clock  *wasmtest.ManualClock
}

type envOptions struct {
	config    string
	workers   int
	noPublish bool
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	w := getWorld(t)
	clock := wasmtest.NewManualClock(t0)
	host := wasmtest.NewHost(wasmtest.HostOptions{Clock: clock})
	t.Cleanup(func() { _ = host.Close() })
	if o.workers == 0 {
		o.workers = 1
	}
	p, err := host.NewPlugin(context.Background(), wasmtest.PluginOptions{
		Name: "certgate", RootID: "certgate", VMID: "certgate",
		Config: []byte(o.config), Wasm: filterWasm(t), Workers: o.workers,
	})
	if err != nil {
		t.Fatalf("start filter: %v", err)
	}
	e := &env{t: t, w: w, host: host, plugin: p, clock: clock}
	if !o.noPublish {
		e.publish(nil, w.snap)
	}
	return e
}

var (
	wasmOnce  sync.Once
	wasmBytes []byte
)

func filterWasm(t testing.TB) []byte {
	t.Helper()
	wasmOnce.Do(func() { wasmBytes = wasmtest.MustReadBuild(t, "certgate-filter.wasm") })
	if wasmBytes == nil {
		t.Fatal("certgate-filter.wasm missing: run `make wasm`")
	}
	return wasmBytes
}

// publish moves shared data from prev to next as the manager's sync will.
func (e *env) publish(prev, next *shared.Snapshot) uint64 {
	e.t.Helper()
	var pe map[string][]byte
	if prev != nil {
		pe = prev.Entries()
	}
	gen, err := shared.Publish(e.host.SharedData(), shared.Diff(pe, next.Entries()))
	if err != nil {
		e.t.Fatalf("publish: %v", err)
	}
	return gen
}

// request is one downstream request.
type request struct {
	path      string
	peer      *issued // TLS peer certificate
	peerValid *bool   // connection.peer_certificate_valid (nil: true)
	legacy    bool    // an Envoy without connection.peer_certificate(_valid)
	headers   []wasmtest.Header
	source    string // source.address
	worker    int
	props     map[string][]byte // extra/overriding properties
}

// result is what left Envoy.
type result struct {
	status     int
	local      *wasmtest.LocalResponse
	upstream   []wasmtest.Header
	downstream []wasmtest.Header
	body       errorBody
}

type errorBody struct {
	Code        int    `json:"code"`
	Message     string `json:"message"`
	Description string `json:"description"`
}

func boolp(b bool) *bool { return &b }

func (r *request) properties() map[string][]byte {
	props := map[string][]byte{}
	if r.peer != nil {
		valid := true
		if r.peerValid != nil {
			valid = *r.peerValid
		}
		props = wasmtest.PeerCertificateProperties(r.peer.cert, valid)
		if r.legacy {
			delete(props, "connection.peer_certificate")
			delete(props, "connection.peer_certificate_valid")
		}
	}
	if r.source != "" {
		props["source.address"] = wasmtest.PropString(r.source)
	}
	for k, v := range r.props {
		props[k] = v
	}
	return props
}

func (r *request) requestHeaders() []wasmtest.Header {
	path := r.path
	if path == "" {
		path = "/both/1.0.0/menu"
	}
	h := []wasmtest.Header{{":method", "GET"}, {":path", path}, {":authority", "api.certgate.test"}, {":scheme", "https"},
		{"user-agent", "filtertest"}, {"accept", "application/json"}}
	return append(h, r.headers...)
}

// do runs a request through the filter and, when it goes upstream, a 200 response back.
func (e *env) do(r request) result {
	e.t.Helper()
	s, err := e.plugin.NewStream(context.Background(), wasmtest.StreamOptions{Worker: r.worker, Properties: r.properties()})
	if err != nil {
		e.t.Fatalf("new stream: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			e.t.Fatalf("close stream: %v", err)
		}
	}()
	act, err := s.RequestHeaders(r.requestHeaders(), true)
	if err != nil {
		e.t.Fatalf("request headers: %v", err)
	}
	res := result{local: s.LocalResponse()}
	if res.local != nil {
		if act != wasmtest.ActionPause {
			e.t.Fatalf("local reply with action %v, want Pause", act)
		}
		res.status = res.local.Status
		if err := json.Unmarshal(res.local.Body, &res.body); err != nil {
			e.t.Fatalf("deny body %q is not JSON: %v", res.local.Body, err)
		}
		return res
	}
	if act != wasmtest.ActionContinue {
		e.t.Fatalf("action %v without a local reply", act)
	}
	res.upstream = s.UpstreamRequestHeaders()
	if _, err := s.ResponseHeaders([]wasmtest.Header{{":status", "200"}, {"content-type", "text/plain"}}, true); err != nil {
		e.t.Fatalf("response headers: %v", err)
	}
	res.downstream = s.DownstreamResponseHeaders()
	res.status = 200
	return res
}

func (r result) upstreamHeader(name string) (string, bool) {
	return wasmtest.HeaderValue(r.upstream, name)
}

// bearer is an Authorization header.
func bearer(tok string) wasmtest.Header { return wasmtest.Header{"authorization", "Bearer " + tok} }

func (e *env) metric(name string) uint64 {
	v, _ := e.host.Metric(name)
	return v
}

// wantStatus checks status and, for denies, the WSO2 code.
func wantStatus(t *testing.T, r result, status, code int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (body %+v), want %d", r.status, r.body, status)
	}
	if code != 0 && r.body.Code != code {
		t.Fatalf("code %d (%s), want %d", r.body.Code, r.body.Message, code)
	}
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
