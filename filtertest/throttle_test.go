package filtertest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/wasmtest"
)

// TestThrottle429Headers: allowed responses carry RateLimit-*, the call
// over the tier gets 429 (900800) with Retry-After and RateLimit-*.
func TestThrottle429Headers(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	tok := w.idp.token(t, "ES256", w.idp.claims(idTokenTier, nil))
	r := request{path: "/tokentier/1.0.0/x", headers: []wasmtest.Header{bearer(tok)}}
	for i := 0; i < 3; i++ {
		res := e.do(r)
		wantStatus(t, res, 200, 0)
		want := map[string]string{"ratelimit-limit": "3", "ratelimit-remaining": strconv.Itoa(2 - i), "ratelimit-reset": strconv.Itoa(20 * (i + 1))}
		for name, v := range want {
			if got, _ := headerValue(res.downstream, name); got != v {
				t.Fatalf("request %d: %s = %q, want %q", i, name, got, v)
			}
		}
	}
	res := e.do(r)
	wantStatus(t, res, 429, 900800)
	want := map[string]string{"retry-after": "20", "ratelimit-limit": "3", "ratelimit-remaining": "0", "ratelimit-reset": "60"}
	for name, v := range want {
		if got, _ := headerValue(res.local.Headers, name); got != v {
			t.Fatalf("429: %s = %q, want %q", name, got, v)
		}
	}
	if res.body.Message != "Message throttled out" {
		t.Fatalf("body %+v", res.body)
	}
	if e.metric("certgate.api."+idTokenTier+".throttled") != 1 {
		t.Fatal("throttled metric")
	}
	// Another client id has its own budget; the first one gets one back after 20 s.
	other := w.idp.token(t, "ES256", w.idp.claims(idTokenTier, map[string]any{"azp": "app-2"}))
	wantStatus(t, e.do(request{path: "/tokentier/1.0.0/x", headers: []wasmtest.Header{bearer(other)}}), 200, 0)
	e.clock.Advance(20 * time.Second)
	wantStatus(t, e.do(r), 200, 0)
	wantStatus(t, e.do(r), 429, 900800)
}

// TestThrottleAPIPolicy: the API-level policy limits the API as a whole, across clients.
func TestThrottleAPIPolicy(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.w
	for i := 0; i < 5; i++ {
		peer := w.client
		if i%2 == 1 {
			peer = w.issuedClient
		}
		wantStatus(t, e.do(request{path: "/policy/1.0.0/x", peer: peer}), 200, 0)
	}
	wantStatus(t, e.do(request{path: "/policy/1.0.0/x", peer: w.renewed}), 429, 900800)
}

// TestThrottleKeyModes: by CN (default) a renewed certificate with the same
// CN shares the budget; by fingerprint it has its own.
func TestThrottleKeyModes(t *testing.T) {
	for _, c := range []struct {
		config      string
		renewedGets int
	}{{`{}`, 429}, {`{"throttleKey": "fingerprint"}`, 200}} {
		t.Run(c.config, func(t *testing.T) {
			e := newEnv(t, envOptions{config: c.config})
			w := e.w
			for i := 0; i < 100; i++ {
				wantStatus(t, e.do(request{path: "/limited/1.0.0/x", peer: w.client}), 200, 0)
			}
			wantStatus(t, e.do(request{path: "/limited/1.0.0/x", peer: w.client}), 429, 900800)
			if got := e.do(request{path: "/limited/1.0.0/x", peer: w.renewed}); got.status != c.renewedGets {
				t.Fatalf("renewed certificate got %d, want %d", got.status, c.renewedGets)
			}
		})
	}
}

// TestThrottleAccuracyAcrossWorkers: 4 VMs share one budget — tier
// 100/min, 1,000 interleaved requests → exactly 100 allowed. Run once with
// strict round-robin interleaving and once with the 4 workers in parallel
// goroutines (real CAS contention on the shared store).
func TestThrottleAccuracyAcrossWorkers(t *testing.T) {
	t.Run("round-robin", func(t *testing.T) {
		e := newEnv(t, envOptions{workers: 4})
		allowed := 0
		for i := 0; i < 1000; i++ {
			res := e.do(request{path: "/limited/1.0.0/x", peer: e.w.client, worker: i % 4})
			if res.status == 200 {
				allowed++
			} else {
				wantStatus(t, res, 429, 900800)
			}
		}
		if allowed != 100 {
			t.Fatalf("allowed %d of 1000, want exactly 100", allowed)
		}
	})
	t.Run("parallel", func(t *testing.T) {
		e := newEnv(t, envOptions{workers: 4})
		var mu sync.Mutex
		allowed, denied := 0, 0
		var wg sync.WaitGroup
		for wk := 0; wk < 4; wk++ {
			wg.Add(1)
			go func(wk int) {
				defer wg.Done()
				for i := 0; i < 250; i++ {
					res := e.do(request{path: "/limited/1.0.0/x", peer: e.w.client, worker: wk})
					mu.Lock()
					if res.status == 200 {
						allowed++
					} else if res.status == 429 {
						denied++
					}
					mu.Unlock()
				}
			}(wk)
		}
		wg.Wait()
		if allowed != 100 || denied != 900 {
			t.Fatalf("allowed %d denied %d of 1000, want exactly 100/900", allowed, denied)
		}
		t.Logf("CAS retries %d, exhausted %d", e.metric("certgate.throttle.cas_retries"), e.metric("certgate.throttle.cas_exhausted"))
	})
}
