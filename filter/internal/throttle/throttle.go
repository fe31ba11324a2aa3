// Package throttle limits request rates with counters in shared data, so
// every VM (Envoy worker) of a gateway draws on one budget.
//
// # Algorithm: GCRA
//
// Each key stores one number, its theoretical arrival time (TAT, Unix
// nanoseconds, 8 bytes). For a tier of N requests per period T the
// emission interval is I = T/N; a request at time t is allowed when
// max(TAT, t) + I − t ≤ T, and then TAT becomes max(TAT, t) + I. This is a
// token bucket of capacity N refilled continuously at N/T, computed without
// a timer and updated with one CAS:
//
//   - accuracy: the long-run rate is exactly N/T; N requests arriving at
//     once are all admitted and the (N+1)th is refused, independent of how
//     requests interleave across workers (the CAS serialises them); in any
//     sliding window of length T at most 2N−1 are admitted (an idle bucket
//     refills while being drained, like any token bucket of capacity N),
//     against 2N for WSO2's fixed windows;
//   - integer arithmetic: I = T/N truncated to the nanosecond, so the
//     refill may be faster by at most N ns per period.
//
// Updates use compare-and-swap with bounded retries; when retries run out
// the request is refused (Contended) so a budget is never over-admitted.
// Creating a key: proxy-wasm shared data has no create-if-absent (a write
// with cas 0 is unconditional), so two workers creating the same counter at
// once could overwrite each other's first admission. Creation is therefore
// serialised by a CAS spin lock on one pre-existing key (LockKey, created at
// plugin start): the creator takes the lock, re-reads the counter, creates
// it only if still absent, and releases the lock. Only the first request of
// each key pays for it. Without a lock key the first write is unconditional
// (documented race: at most one extra admission per key and racing worker).
package throttle

import (
	"encoding/binary"
	"errors"

	"github.com/certgate/certgate/shared"
)

// DefaultMaxRetries bounds CAS retries per decision.
const DefaultMaxRetries = 8

// Limiter decides requests against counters in a shared.KV.
type Limiter struct {
	KV shared.KV
	// Now returns the current time in Unix nanoseconds (injected; tests use a manual clock).
	Now func() int64
	// MaxRetries bounds CAS retries (0 = DefaultMaxRetries).
	MaxRetries int
	// LockKey is the key of the creation lock (see the package doc); empty = no lock.
	LockKey string
	// scratch holds the counter value being written: KV.Set copies it, and
	// a buffer in the Limiter (not on the stack) costs no heap allocation per
	// decision (a slice passed through the KV interface escapes).
	scratch [8]byte
}

// Lock states stored under LockKey.
var (
	lockFree = []byte{0}
	lockHeld = []byte{1}
)

// InitLock creates the creation lock key if it does not exist yet.
func InitLock(kv shared.KV, key string) {
	if _, _, ok := kv.Get(key); !ok {
		_ = kv.Set(key, lockFree, 0)
	}
}

// create writes a new counter under the creation lock. It reports whether
// the counter was created; false means retry (lock busy, lost a race, or
// the counter appeared meanwhile).
func (l *Limiter) create(key string, value []byte) (created, retry bool) {
	if l.LockKey == "" {
		return l.KV.Set(key, value, 0) == nil, false
	}
	lv, lcas, ok := l.KV.Get(l.LockKey)
	if !ok {
		return l.KV.Set(key, value, 0) == nil, false
	}
	if len(lv) == 1 && lv[0] == lockHeld[0] {
		return false, true
	}
	if err := l.KV.Set(l.LockKey, lockHeld, lcas); err != nil {
		return false, true
	}
	created = false
	if _, _, exists := l.KV.Get(key); !exists {
		created = l.KV.Set(key, value, 0) == nil
	}
	_ = l.KV.Set(l.LockKey, lockFree, 0) // we hold it: release unconditionally
	return created, !created
}

// Result is one decision with what the RateLimit headers need.
type Result struct {
	Allowed bool
	// Contended is true when the CAS retries ran out (the request is refused).
	Contended bool
	Limit     uint64
	Remaining uint64
	// ResetSeconds is when the budget is full again (RateLimit-Reset), rounded up.
	ResetSeconds int64
	// RetryAfterSeconds is when the next request would be allowed (Retry-After), rounded up; 0 when allowed.
	RetryAfterSeconds int64
	// Retries is the number of CAS retries this decision took.
	Retries int
}

const nsPerMs = int64(1e6)

// Take spends one request of tier on key.
func (l *Limiter) Take(key string, tier shared.Tier) Result { return l.TakeAt(key, tier, l.Now()) }

// TakeAt is Take with the current time already read (a filter reads the
// clock once per request): the first attempt uses now, a CAS retry reads
// the clock again.
func (l *Limiter) TakeAt(key string, tier shared.Tier, now int64) Result {
	if tier.Unlimited() {
		return Result{Allowed: true}
	}
	period := saturatingMul(tier.UnitMillis, nsPerMs)
	count := tier.Count
	if uint64(period) < count { // more than one request per ns: effectively unlimited
		return Result{Allowed: true, Limit: count, Remaining: count}
	}
	interval := period / int64(count)
	tau := period - interval
	retries := l.MaxRetries
	if retries <= 0 {
		retries = DefaultMaxRetries
	}
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			now = l.Now()
		}
		v, cas, ok := l.KV.Get(key)
		tat := now
		if ok && len(v) == 8 {
			if stored := int64(binary.BigEndian.Uint64(v)); stored > now {
				tat = stored
			}
		}
		if tat-now > tau { // over the limit
			return Result{Limit: count, ResetSeconds: ceilSeconds(tat - now),
				RetryAfterSeconds: ceilSeconds(tat - now - tau), Retries: attempt}
		}
		newTAT := tat + interval
		buf := &l.scratch
		binary.BigEndian.PutUint64(buf[:], uint64(newTAT))
		if !ok {
			created, retry := l.create(key, buf[:])
			if retry {
				continue
			}
			if !created {
				return Result{Contended: true, Limit: count, Retries: attempt}
			}
		} else {
			err := l.KV.Set(key, buf[:], cas)
			if errors.Is(err, shared.ErrCasMismatch) {
				continue
			}
			if err != nil {
				return Result{Contended: true, Limit: count, Retries: attempt}
			}
		}
		used := newTAT - now
		remaining := uint64((period - used) / interval)
		return Result{Allowed: true, Limit: count, Remaining: remaining, ResetSeconds: ceilSeconds(used), Retries: attempt}
	}
	return Result{Contended: true, Limit: count, Retries: retries, RetryAfterSeconds: 1}
}

func saturatingMul(ms uint64, f int64) int64 {
	const max = int64(^uint64(0) >> 2) // keep TAT arithmetic far from overflow
	if ms > uint64(max/f) {
		return max
	}
	return int64(ms) * f
}

func ceilSeconds(ns int64) int64 {
	if ns <= 0 {
		return 0
	}
	return (ns + 1e9 - 1) / 1e9
}

// Tighter returns the result a client should see when two limits apply:
// the refused one, else the one with fewer remaining requests.
func Tighter(a, b Result) Result {
	if !a.Allowed {
		return a
	}
	if !b.Allowed {
		return b
	}
	if b.Limit != 0 && (a.Limit == 0 || b.Remaining < a.Remaining) {
		return b
	}
	return a
}
