package throttle

import (
	"fmt"
	"testing"

	"github.com/certgate/certgate/shared"
)

type memKV struct {
	m   map[string][]byte
	cas map[string]uint32
	n   uint32
	// conflicts makes the next N CAS writes fail, as if another worker won.
	conflicts int
}

func newKV() *memKV { return &memKV{m: map[string][]byte{}, cas: map[string]uint32{}} }

func (k *memKV) Get(key string) ([]byte, uint32, bool) {
	v, ok := k.m[key]
	return v, k.cas[key], ok
}

func (k *memKV) Set(key string, v []byte, cas uint32) error {
	if k.conflicts > 0 {
		k.conflicts--
		k.n++
		k.cas[key] = k.n
		return shared.ErrCasMismatch
	}
	if cas != 0 && k.cas[key] != cas {
		return shared.ErrCasMismatch
	}
	k.n++
	k.m[key] = append([]byte(nil), v...)
	k.cas[key] = k.n
	return nil
}

type clock struct{ ns int64 }

func (c *clock) now() int64 { return c.ns }

const sec = int64(1e9)

func TestBurstThenRefill(t *testing.T) {
	kv, clk := newKV(), &clock{ns: 1_700_000_000 * sec}
	l := &Limiter{KV: kv, Now: clk.now}
	tier := shared.Tier{Count: 100, UnitMillis: 60_000}
	allowed := 0
	for i := 0; i < 1000; i++ {
		r := l.Take("k", tier)
		if r.Allowed {
			allowed++
			if r.Remaining != uint64(100-allowed) {
				t.Fatalf("request %d: remaining %d, want %d", i, r.Remaining, 100-allowed)
			}
		} else if r.RetryAfterSeconds != 1 || r.Remaining != 0 || r.ResetSeconds != 60 {
			t.Fatalf("denied: %+v", r)
		}
	}
	if allowed != 100 {
		t.Fatalf("allowed %d of 1000, want exactly 100", allowed)
	}
	clk.ns += 600 * int64(1e6) // one interval: one more request
	if !l.Take("k", tier).Allowed {
		t.Fatal("not refilled after one interval")
	}
	if l.Take("k", tier).Allowed {
		t.Fatal("refilled more than one")
	}
	clk.ns += 60 * sec
	for i := 0; i < 100; i++ {
		if !l.Take("k", tier).Allowed {
			t.Fatalf("after a full period request %d denied", i)
		}
	}
	if l.Take("other", tier).Remaining != 99 {
		t.Fatal("keys share a budget")
	}
}

func TestLongRunRate(t *testing.T) {
	kv, clk := newKV(), &clock{ns: 0}
	l := &Limiter{KV: kv, Now: clk.now}
	tier := shared.Tier{Count: 10, UnitMillis: 1000}
	allowed := 0
	// 10 minutes, a request every 10ms (10x the rate).
	for i := 0; i < 60_000; i++ {
		if l.Take("k", tier).Allowed {
			allowed++
		}
		clk.ns += 10 * int64(1e6)
	}
	if want := 10*600 + 10; allowed < want-1 || allowed > want {
		t.Fatalf("allowed %d, want ~%d (rate + initial burst)", allowed, want)
	}
}

func TestCASRetries(t *testing.T) {
	cases := []struct {
		name      string
		conflicts int
		allowed   bool
		retries   int
	}{
		{"ok/no-conflict", 0, true, 0},
		{"ok/three-conflicts", 3, true, 3},
		{"fail/exhausted", DefaultMaxRetries + 1, false, DefaultMaxRetries},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kv := newKV()
			kv.m["k"] = make([]byte, 8)
			kv.cas["k"] = 1
			kv.n = 1
			kv.conflicts = c.conflicts
			l := &Limiter{KV: kv, Now: func() int64 { return 5 * sec }}
			r := l.Take("k", shared.Tier{Count: 5, UnitMillis: 1000})
			if r.Allowed != c.allowed || r.Retries != c.retries || (!c.allowed && !r.Contended) {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestEdgeTiers(t *testing.T) {
	l := &Limiter{KV: newKV(), Now: func() int64 { return 0 }}
	for _, tier := range []shared.Tier{{}, {Count: 5}, {UnitMillis: 5}, {Count: ^uint64(0), UnitMillis: 1}, {Count: 1, UnitMillis: ^uint64(0)}} {
		t.Run(fmt.Sprintf("%d/%d", tier.Count, tier.UnitMillis), func(t *testing.T) {
			if r := l.Take("k", tier); !r.Allowed {
				t.Fatalf("first request denied: %+v", r)
			}
		})
	}
	// Garbage in the counter is treated as an empty bucket, not a crash.
	kv := newKV()
	kv.m["g"] = []byte("xyz")
	l.KV = kv
	if !l.Take("g", shared.Tier{Count: 1, UnitMillis: 1000}).Allowed {
		t.Fatal("garbage counter denied")
	}
}

func TestTighter(t *testing.T) {
	a := Result{Allowed: true, Limit: 100, Remaining: 50}
	b := Result{Allowed: true, Limit: 10, Remaining: 3}
	d := Result{Limit: 1}
	if Tighter(a, b) != b || Tighter(b, a) != b || Tighter(a, d) != d || Tighter(Result{Allowed: true}, a) != a {
		t.Fatal("tighter")
	}
}

// TestCreationLock races the creation of a counter: a second worker creates
// the key between our read and our write; the lock makes us notice.
func TestCreationLock(t *testing.T) {
	kv := newKV()
	InitLock(kv, "lock")
	if v, _, ok := kv.Get("lock"); !ok || v[0] != 0 {
		t.Fatal("lock not created free")
	}
	racer := &racingKV{memKV: kv, key: "k"}
	l := &Limiter{KV: racer, Now: func() int64 { return 0 }, LockKey: "lock"}
	tier := shared.Tier{Count: 2, UnitMillis: 1000}
	r := l.Take("k", tier)
	if !r.Allowed || r.Remaining != 0 || r.Retries != 1 {
		t.Fatalf("got %+v: the racer's admission was overwritten", r)
	}
	if l.Take("k", tier).Allowed {
		t.Fatal("over-admitted: 3 of 2")
	}
	if v, _, _ := kv.Get("lock"); v[0] != 0 {
		t.Fatal("lock left held")
	}
	// A held lock makes creation retry, then give up without admitting.
	kv.m["lock"] = []byte{1}
	r = (&Limiter{KV: kv, Now: func() int64 { return 0 }, LockKey: "lock"}).Take("new", tier)
	if r.Allowed || !r.Contended {
		t.Fatalf("created under a held lock: %+v", r)
	}
}

// racingKV lets another worker admit one request on key right after our first read of it.
type racingKV struct {
	*memKV
	key  string
	done bool
}

func (r *racingKV) Get(key string) ([]byte, uint32, bool) {
	v, cas, ok := r.memKV.Get(key)
	if key == r.key && !r.done {
		r.done = true
		other := &Limiter{KV: r.memKV, Now: func() int64 { return 0 }, LockKey: "lock"}
		if !other.Take(key, shared.Tier{Count: 2, UnitMillis: 1000}).Allowed {
			panic("racer denied")
		}
	}
	return v, cas, ok
}

// TestTakeAtUsesGivenTime checks that TakeAt decides the first attempt at
// the time it is given (not the limiter's clock) and re-reads the clock on a
// CAS retry.
func TestTakeAtUsesGivenTime(t *testing.T) {
	tier := shared.Tier{Count: 1, UnitMillis: 1000}
	cases := []struct {
		name      string
		conflicts int
		clockAt   int64 // the limiter's clock
		wantAllow bool
	}{
		// The counter is full until t=2s. Given t=3s, no retry: allowed
		// although the limiter's clock says 1s.
		{"given-time", 0, 1 * sec, true},
		// One CAS conflict: the retry reads the clock (1s) and is refused.
		{"retry-reads-clock", 1, 1 * sec, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kv, clk := newKV(), &clock{ns: 1 * sec}
			l := &Limiter{KV: kv, Now: clk.now}
			if !l.TakeAt("k", tier, 1*sec).Allowed { // TAT = 2s
				t.Fatal("first request refused")
			}
			clk.ns = c.clockAt
			kv.conflicts = c.conflicts
			if got := l.TakeAt("k", tier, 3*sec).Allowed; got != c.wantAllow {
				t.Fatalf("allowed = %v, want %v", got, c.wantAllow)
			}
		})
	}
}
