package syncer

import (
	"errors"
	"testing"

	"github.com/certgate/certgate/shared"
)

// memKV is shared data with proxy-wasm's CAS semantics.
type memKV struct {
	m   map[string][]byte
	cas map[string]uint32
}

func newKV() *memKV { return &memKV{m: map[string][]byte{}, cas: map[string]uint32{}} }

func (k *memKV) Get(key string) ([]byte, uint32, bool) {
	v, ok := k.m[key]
	return v, k.cas[key], ok
}

func (k *memKV) Set(key string, v []byte, cas uint32) error {
	if cas != 0 && cas != k.cas[key] {
		return shared.ErrCasMismatch
	}
	k.m[key] = append([]byte(nil), v...)
	k.cas[key]++
	return nil
}

func TestLease(t *testing.T) {
	kv := newKV()
	a := Lease{Owner: "vm-a", TTL: 3000}
	b := Lease{Owner: "vm-b", TTL: 3000}
	if !a.Acquire(kv, 1000) {
		t.Fatal("first VM must get a free lease")
	}
	if b.Acquire(kv, 2000) {
		t.Fatal("second VM must not take a live lease")
	}
	if !a.Acquire(kv, 3500) {
		t.Fatal("the owner renews its lease")
	}
	if b.Acquire(kv, 6000) {
		t.Fatal("renewed lease (until 6500) must still hold at 6000")
	}
	if !b.Acquire(kv, 6501) {
		t.Fatal("an expired lease passes to another VM")
	}
	if a.Acquire(kv, 6600) {
		t.Fatal("the old owner lost it")
	}
	kv.m[shared.KeySyncLease] = []byte("garbage")
	if !a.Acquire(kv, 7000) {
		t.Fatal("a corrupt lease counts as expired")
	}
}

func TestApply(t *testing.T) {
	kv := newKV()
	api := shared.API{Provider: "admin", Name: "A", Version: "1", Context: "a", Security: shared.SecMutualSSL}
	key := shared.KeyAPI("a", "1")
	full := &shared.Delta{Version: 5, Full: true, Writes: []shared.Write{{Key: key, Record: api.Encode()}}}
	if err := Apply(kv, full); err != nil {
		t.Fatal(err)
	}
	if Applied(kv) != 5 {
		t.Fatalf("applied %d", Applied(kv))
	}
	gen, _, _ := shared.CurrentGeneration(kv)
	if rec, ok := shared.Visible(kv.m[key], gen); !ok || string(rec) != string(api.Encode()) {
		t.Fatal("API not visible after a full snapshot")
	}
	for name, d := range map[string]*shared.Delta{
		"fail/gap":       {Version: 9, Since: 7, Writes: []shared.Write{{Key: key, Delete: true}}},
		"fail/backwards": {Version: 4, Since: 5, Writes: []shared.Write{{Key: key, Delete: true}}},
	} {
		if err := Apply(kv, d); !errors.Is(err, ErrStale) {
			t.Fatalf("%s: want ErrStale, got %v", name, err)
		}
		if Applied(kv) != 5 {
			t.Fatalf("%s changed the applied version", name)
		}
	}
	if err := Apply(kv, &shared.Delta{Version: 6, Since: 5, Writes: []shared.Write{{Key: key, Delete: true}}}); err != nil {
		t.Fatal(err)
	}
	gen, _, _ = shared.CurrentGeneration(kv)
	if _, ok := shared.Visible(kv.m[key], gen); ok || Applied(kv) != 6 {
		t.Fatal("delete not applied")
	}
}

func TestPollPath(t *testing.T) {
	got := PollPath("/gateway/v1/snapshot", "Prod EU&x", 42, 30)
	want := "/gateway/v1/snapshot?env=Prod%20EU%26x&since=42&wait=30"
	if got != want {
		t.Fatalf("got %s", got)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{BaseMillis: 100, MaxMillis: 1000}
	for i, wantStep := range []int64{100, 200, 400, 800, 1000, 1000} {
		lo := b.Failure(0)
		b.failures--
		hi := b.Failure(^uint64(0) - 7)
		if lo != wantStep/2 || hi < lo || hi > wantStep {
			t.Fatalf("failure %d: wait in [%d,%d], want [%d,%d]", i+1, lo, hi, wantStep/2, wantStep)
		}
	}
	b.Success()
	if w := b.Failure(0); w != 50 {
		t.Fatalf("after success the backoff restarts: %d", w)
	}
}
