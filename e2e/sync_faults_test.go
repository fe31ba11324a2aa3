package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testmanager"
	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

// fakeManager answers the filter's long-poll from a script, to drive the
// failure paths a real manager does not produce on demand.
type fakeManager struct {
	mu     sync.Mutex
	script []func(w http.ResponseWriter, r *http.Request)
	polls  []string // request paths seen
	auth   []string
}

func (f *fakeManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.polls = append(f.polls, r.URL.RequestURI())
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	var step func(http.ResponseWriter, *http.Request)
	if len(f.script) > 0 {
		step, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if step == nil {
		w.WriteHeader(http.StatusNotModified) // nothing new
		return
	}
	step(w, r)
}

func (f *fakeManager) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.polls...)
}

func answer(d shared.Delta) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", shared.ContentTypeDelta)
		_, _ = w.Write(d.Encode())
	}
}

// TestSyncKeepsLastGoodDataOnBadAnswers: after a good snapshot, a truncated
// body, a corrupted body, a 500 and a delta that skips versions are each
// logged and ignored; the gateway keeps enforcing version 1 and, once the
// manager answers properly again, applies the next delta.
func TestSyncKeepsLastGoodDataOnBadAnswers(t *testing.T) {
	wasm := wasmtest.MustReadBuild(t, "certgate-filter.wasm")
	alice := clientCert(t, "alice")
	bob := clientCert(t, "bob")
	api := shared.API{Provider: "admin", Name: "Pizza", Version: "1.0.0", Context: "pizza", Security: shared.SecMutualSSL}
	snap := shared.Snapshot{
		APIs:  []shared.API{api},
		Certs: []shared.ClientCert{{APIID: api.ID(), Fingerprint: fp(alice), Alias: "alice", CN: "alice", Tier: "Unlimited", NotAfter: alice.NotAfter.Unix()}},
		Tiers: []shared.Tier{{Name: "Unlimited"}},
	}
	v1 := shared.Delta{Version: 1, Full: true, Writes: shared.Diff(nil, snap.Entries())}
	good := v1.Encode()
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)/2] ^= 0xff
	next := snap
	next.Certs = append(append([]shared.ClientCert(nil), snap.Certs...),
		shared.ClientCert{APIID: api.ID(), Fingerprint: fp(bob), Alias: "bob", CN: "bob", Tier: "Unlimited", NotAfter: bob.NotAfter.Unix()})
	v2 := shared.Delta{Version: 2, Since: 1, Writes: shared.Diff(snap.Entries(), next.Entries())}
	gap := shared.Delta{Version: 9, Since: 7, Writes: []shared.Write{{Key: shared.KeyCert(api.ID(), fp(alice)), Delete: true}}}

	fm := &fakeManager{script: []func(http.ResponseWriter, *http.Request){
		answer(v1),
		func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(good[:len(good)/2]) }, // partial
		func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(corrupt) },
		func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
		answer(gap),
		answer(v2),
	}}
	srv := httptest.NewServer(fm)
	defer srv.Close()
	gw := startGateway(t, wasm, srv.URL, 2)

	gw.waitApplied(t, 1)
	if st := gw.request(t, 0, "/pizza/1.0.0/x", alice); st != 0 {
		t.Fatalf("alice refused after v1: %d", st)
	}
	// Drive the gateway through the four bad answers (with backoff between them).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := gw.host.Wait(ctx, func() bool { return gw.applied() == 2 }); err != nil {
		t.Fatalf("never applied v2 after the bad answers: %v (polls %v)", err, fm.seen())
	}
	warns := strings.Join(gw.host.LogMessages(wasmtest.LogWarn), "\n")
	for _, want := range []string{"malformed or partial answer", "manager answered 500", "not applied"} {
		if !strings.Contains(warns, want) {
			t.Errorf("no warning %q in:\n%s", want, warns)
		}
	}
	if strings.Contains(warns, testmanager.GatewayToken) {
		t.Error("the gateway token appears in a log line")
	}
	// The bad answers changed nothing: alice (deleted only by the ignored gap delta) still passes, bob was added by v2.
	for w := 0; w < 2; w++ {
		if st := gw.request(t, w, "/pizza/1.0.0/x", alice); st != 0 {
			t.Fatalf("worker %d: alice refused (%d): a bad answer leaked into shared data", w, st)
		}
		if st := gw.request(t, w, "/pizza/1.0.0/x", bob); st != 0 {
			t.Fatalf("worker %d: bob refused after v2 (%d)", w, st)
		}
	}
	// Every poll after v1 asked since=1 (the last good version) and carried the token.
	polls := fm.seen()
	for i, p := range polls[1:6] {
		if !strings.Contains(p, "since=1&") {
			t.Errorf("poll %d after v1 asked %s, want since=1", i+2, p)
		}
	}
	for _, a := range fm.auth {
		if a != "Bearer "+testmanager.GatewayToken {
			t.Fatalf("poll without the gateway token: %q", a)
		}
	}
}
