package filtertest

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

// benchHeaders is the request shape of every benchmark (and of the no-op
// baseline): ten headers like wasmtest.TypicalRequestHeaders, on path.
func benchHeaders(path string, extra ...wasmtest.Header) []wasmtest.Header {
	h := []wasmtest.Header{
		{":method", "GET"}, {":path", path}, {":authority", "api.example.com"}, {":scheme", "https"},
		{"user-agent", "curl/8.5.0"}, {"accept", "application/json"}, {"accept-encoding", "gzip, deflate"},
		{"x-request-id", "5c3f2e1a-9b7d-4c8e-a1f0-2d6b8e9c7a54"}, {"x-forwarded-proto", "https"},
	}
	return append(h, extra...)
}

var (
	noopMu sync.Mutex
	noopNs float64
)

// baselineNs returns the no-op filter's ns/request measured in this run:
// by the noop sub-benchmark, or — when -bench filtered it out — by timing
// 20,000 no-op requests here (testing.Benchmark cannot nest).
func baselineNs(b *testing.B) float64 {
	noopMu.Lock()
	defer noopMu.Unlock()
	if noopNs == 0 {
		noopNs = timeNoop(b, 20_000)
	}
	return noopNs
}

func newNoop(b *testing.B) (*wasmtest.Host, *wasmtest.Plugin, []wasmtest.Header, map[string][]byte) {
	w := getWorld(b)
	host := wasmtest.NewHost(wasmtest.HostOptions{Clock: wasmtest.NewManualClock(t0)})
	p, err := host.NewPlugin(context.Background(), wasmtest.PluginOptions{Name: "noop", RootID: "noop", VMID: "noop",
		Wasm: wasmtest.MustReadBuild(b, "testfilters/noop.wasm")})
	if err != nil {
		b.Fatal(err)
	}
	return host, p, benchHeaders("/mtls/1.0.0/menu"), wasmtest.PeerCertificateProperties(w.client.cert, true)
}

// timeNoop runs n no-op requests exactly like wasmtest.RunRequests and returns ns/request.
func timeNoop(b *testing.B, n int) float64 {
	host, p, req, props := newNoop(b)
	defer host.Close()
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < n; i++ {
		s, err := p.NewStream(ctx, wasmtest.StreamOptions{Properties: props})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.RequestHeaders(req, true); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ResponseHeaders(wasmtest.TypicalResponseHeaders(), true); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// runNoop measures the no-op filter with the pinned-certificate request shape.
func runNoop(b *testing.B) {
	host, p, req, props := newNoop(b)
	defer host.Close()
	wasmtest.RunRequests(b, p, func(int) ([]wasmtest.Header, wasmtest.StreamOptions) {
		return req, wasmtest.StreamOptions{Properties: props}
	})
}

// benchEnv is a filter on one VM with the test world published and a
// manual clock that advances 100 µs per request (so tokens stay valid and
// the generous tiers never run out).
func benchEnv(b *testing.B, config string) (*env, func()) {
	e := newEnv(b, envOptions{config: config})
	return e, func() { e.clock.Advance(100 * time.Microsecond) }
}

func reportRatio(b *testing.B) {
	if b.N == 0 {
		return
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if base := baselineNs(b); base > 0 {
		b.ReportMetric(ns/base, "x-noop")
	}
}

// BenchmarkFilter measures ns/request of each path of the compiled filter
// beside the no-op baseline, same host, same request shape; x-noop is the
// ratio to the baseline measured in the same run.
func BenchmarkFilter(b *testing.B) {
	w := getWorld(b)
	b.Run("noop", func(b *testing.B) {
		runNoop(b)
		noopMu.Lock()
		noopNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		noopMu.Unlock()
		b.ReportMetric(1, "x-noop")
	})
	paths := []struct {
		name   string
		config string
		mk     func(b *testing.B) ([]wasmtest.Header, map[string][]byte)
		status int
	}{
		{"pinned-cert", "", func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			return benchHeaders("/mtls/1.0.0/menu"), wasmtest.PeerCertificateProperties(w.client.cert, true)
		}, 200},
		{"ca-issued", "", func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			return benchHeaders("/mtls/1.0.0/menu"), wasmtest.PeerCertificateProperties(w.issuedClient.cert, true)
		}, 200},
		{"ca-issued-verify-in-wasm-cached", "", func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			props := wasmtest.PeerCertificateProperties(w.issuedClient.cert, true)
			delete(props, "connection.peer_certificate_valid")
			return benchHeaders("/mtls/1.0.0/menu"), props
		}, 200},
		{"header-cert", trustedHopConfig, func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			return benchHeaders("/mtls/1.0.0/menu", wasmtest.Header{"x-wso2-client-certificate", url.QueryEscape(pemOf(w.client.cert.Raw))}),
				map[string][]byte{"source.address": wasmtest.PropString("10.0.0.7:40000")}
		}, 200},
		{"jwt-rs256-cache-hit", "", func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			tok := w.idp.token(b, "RS256", w.idp.claims(idOAuth, map[string]any{"exp": t0.Add(24 * time.Hour).Unix()}))
			return benchHeaders("/oauth/1.0.0/menu", bearer(tok)), nil
		}, 200},
		{"jwt-rs256-cache-miss", `{"tokenCacheSize": 0}`, func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			tok := w.idp.token(b, "RS256", w.idp.claims(idOAuth, map[string]any{"exp": t0.Add(24 * time.Hour).Unix()}))
			return benchHeaders("/oauth/1.0.0/menu", bearer(tok)), nil
		}, 200},
		{"jwt-es256-cache-miss", `{"tokenCacheSize": 0}`, func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			tok := w.idp.token(b, "ES256", w.idp.claims(idOAuth, map[string]any{"exp": t0.Add(24 * time.Hour).Unix()}))
			return benchHeaders("/oauth/1.0.0/menu", bearer(tok)), nil
		}, 200},
		{"throttled-429", "", func(b *testing.B) ([]wasmtest.Header, map[string][]byte) {
			tok := w.idp.token(b, "ES256", w.idp.claims(idTokenTier, map[string]any{"exp": t0.Add(24 * time.Hour).Unix(), "azp": "bench-429"}))
			return benchHeaders("/tokentier/1.0.0/menu", bearer(tok)), nil
		}, 429},
	}
	for _, pth := range paths {
		b.Run(pth.name, func(b *testing.B) {
			e, tick := benchEnv(b, pth.config)
			hdrs, props := pth.mk(b)
			if pth.status == 429 { // spend the budget first; the clock stays frozen below
				for i := 0; i < 3; i++ {
					e.do(request{headers: hdrs[9:], path: "/tokentier/1.0.0/menu"})
				}
				tick = func() {}
			}
			// Check the path does what it is named for before timing it.
			st, err := e.plugin.NewStream(context.Background(), wasmtest.StreamOptions{Properties: props})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.RequestHeaders(hdrs, true); err != nil {
				b.Fatal(err)
			}
			got := 200
			if lr := st.LocalResponse(); lr != nil {
				got = lr.Status
			}
			_ = st.Close()
			if got != pth.status {
				b.Fatalf("%s answers %d, want %d", pth.name, got, pth.status)
			}
			wasmtest.RunRequests(b, e.plugin, func(int) ([]wasmtest.Header, wasmtest.StreamOptions) {
				tick()
				return hdrs, wasmtest.StreamOptions{Properties: props}
			})
			reportRatio(b)
		})
	}
}

// memoryWorld adds distinct clients to a copy of the test world: certs
// pinned certificates on the mTLS API and tokens RS256 bearer tokens (each
// its own client id) for the OAuth API.
type memoryWorld struct {
	snap   *shared.Snapshot
	props  []map[string][]byte
	tokens []string
}

var (
	memOnce sync.Once
	memW    *memoryWorld
)

func getMemoryWorld(b *testing.B, certs, tokens int) *memoryWorld {
	memOnce.Do(func() {
		w := getWorld(b)
		mw := &memoryWorld{}
		s := *w.snap
		s.Certs = append([]shared.ClientCert(nil), w.snap.Certs...)
		key := newKey(b)
		for i := 0; i < certs; i++ {
			c := newLeafWithKey(b, w.otherCA, fmt.Sprintf("mem-client-%05d", i), key)
			s.Certs = append(s.Certs, certRecord(idMTLS, fmt.Sprintf("mem-%d", i), "Gold", c))
			mw.props = append(mw.props, wasmtest.PeerCertificateProperties(c.cert, true))
		}
		for i := 0; i < tokens; i++ {
			mw.tokens = append(mw.tokens, w.idp.token(b, "RS256", w.idp.claims(idOAuth, map[string]any{
				"azp": fmt.Sprintf("mem-app-%05d", i), "exp": t0.Add(30 * 24 * time.Hour).Unix()})))
		}
		mw.snap = &s
		memW = mw
	})
	return memW
}

// runMemory sends total requests from 10,000 distinct clients — 8,000
// certificate clients and 2,000 token clients (RS256; the token cache is
// sized 4,096 so a returning token is a cache hit, as it would be
// configured for that many clients) — round robin, and reports the linear
// memory after warm-up (two rounds) and at the end.
func runMemory(b *testing.B, total int) {
	const clients, tokenClients = 10_000, 2_000
	mw := getMemoryWorld(b, clients-tokenClients, tokenClients)
	for n := 0; n < b.N; n++ {
		e := newEnv(b, envOptions{noPublish: true, config: `{"tokenCacheSize": 4096}`})
		e.publish(nil, mw.snap)
		ctx := context.Background()
		mib := func() float64 { return float64(e.plugin.MemorySize(0)) / (1 << 20) }
		var warm float64
		start := time.Now()
		for i := 0; i < total; i++ {
			e.clock.Advance(100 * time.Microsecond)
			c := i % clients
			var hdrs []wasmtest.Header
			opts := wasmtest.StreamOptions{}
			if c%5 != 4 {
				hdrs, opts.Properties = benchHeaders("/mtls/1.0.0/menu"), mw.props[c-c/5]
			} else {
				hdrs = benchHeaders("/oauth/1.0.0/menu", bearer(mw.tokens[c/5]))
			}
			s, err := e.plugin.NewStream(ctx, opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.RequestHeaders(hdrs, true); err != nil {
				b.Fatal(err)
			}
			if lr := s.LocalResponse(); lr != nil {
				b.Fatalf("request %d denied: %d %s", i, lr.Status, lr.Body)
			}
			if _, err := s.ResponseHeaders(wasmtest.TypicalResponseHeaders(), true); err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			if i+1 == 2*clients {
				warm = mib()
			}
		}
		end := mib()
		b.ReportMetric(warm, "MiB-after-20k")
		b.ReportMetric(end, fmt.Sprintf("MiB-after-%dk", total/1000))
		b.ReportMetric(end-warm, "MiB-growth")
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(total), "ns/request")
	}
}

// BenchmarkMemory100k: linear memory after 100k requests from 10k distinct clients.
func BenchmarkMemory100k(b *testing.B) { runMemory(b, 100_000) }

// BenchmarkMemory1M: linear memory after 1M requests from 10k distinct clients (runs once; ~tens of seconds).
func BenchmarkMemory1M(b *testing.B) { runMemory(b, 1_000_000) }
