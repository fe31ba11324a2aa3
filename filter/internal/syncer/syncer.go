// Package syncer is the filter's side of the config push, kept apart from
// the SDK: who polls (a shared-data lease, so N Envoy workers make one
// poll), what to ask for (the poll path with the applied version), how long
// to wait after a failure (capped exponential backoff with jitter), and how
// to apply an answer (one shared.Publish, so readers never see half of it).
package syncer

import (
	"errors"
	"strconv"
	"strings"

	"github.com/certgate/certgate/shared"
)

// ErrStale is returned by Apply for an answer that would move shared data
// backwards (an older version than the one applied, not a full snapshot).
var ErrStale = errors.New("syncer: answer older than the applied version")

// Lease decides which VM polls. Owner identifies this VM (random per VM).
type Lease struct {
	Owner string
	TTL   int64 // milliseconds
}

// Acquire takes or renews the lease at nowMillis; it returns true when this
// VM holds it afterwards. A lease held by another VM and not yet expired is
// left alone; a lost CAS race means another VM won.
func (l Lease) Acquire(kv shared.KV, nowMillis int64) bool {
	v, cas, ok := kv.Get(shared.KeySyncLease)
	if ok {
		owner, exp := parseLease(v)
		if owner != l.Owner && exp > nowMillis {
			return false
		}
	}
	val := l.Owner + "|" + strconv.FormatInt(nowMillis+l.TTL, 10)
	return kv.Set(shared.KeySyncLease, []byte(val), cas) == nil
}

func parseLease(v []byte) (owner string, expiry int64) {
	s := string(v)
	i := strings.LastIndexByte(s, '|')
	if i < 0 {
		return "", 0
	}
	exp, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return "", 0
	}
	return s[:i], exp
}

// Applied returns the manager version the shared data reflects (0: none).
func Applied(kv shared.KV) uint64 {
	v, _, ok := kv.Get(shared.KeySyncApplied)
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Apply publishes an answer as one generation and records its version. A
// full snapshot is applied whatever the applied version; a delta must start
// at the applied version.
func Apply(kv shared.KV, d *shared.Delta) error {
	applied := Applied(kv)
	if !d.Full && d.Since != applied {
		return ErrStale
	}
	if !d.Full && d.Version < applied {
		return ErrStale
	}
	if _, err := shared.Publish(kv, d.Writes); err != nil {
		return err
	}
	return kv.Set(shared.KeySyncApplied, strconv.AppendUint(nil, d.Version, 10), 0)
}

// PollPath builds the long-poll request path.
func PollPath(base, env string, since uint64, waitSeconds int) string {
	var b strings.Builder
	b.Grow(len(base) + len(env) + 48)
	b.WriteString(base)
	b.WriteString("?env=")
	b.WriteString(queryEscape(env))
	b.WriteString("&since=")
	b.WriteString(strconv.FormatUint(since, 10))
	b.WriteString("&wait=")
	b.WriteString(strconv.Itoa(waitSeconds))
	return b.String()
}

// queryEscape escapes everything but unreserved characters (environment
// names are [A-Za-z0-9._-] by the manager's rules; this keeps any other
// configured value from breaking the query).
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Backoff is capped exponential backoff with jitter ("equal jitter": half
// the step fixed, half random), in milliseconds.
type Backoff struct {
	BaseMillis, MaxMillis int64
	failures              int
}

// Failure records a failed poll and returns how long to wait before the
// next one; rnd is a random value (any uint64).
func (b *Backoff) Failure(rnd uint64) int64 {
	step := b.BaseMillis
	for i := 0; i < b.failures && step < b.MaxMillis; i++ {
		step *= 2
	}
	if step > b.MaxMillis {
		step = b.MaxMillis
	}
	if b.failures < 62 {
		b.failures++
	}
	half := step / 2
	if half <= 0 {
		return step
	}
	return half + int64(rnd%uint64(half+1))
}

// Success resets the backoff.
func (b *Backoff) Success() { b.failures = 0 }

// Failures is the number of failures since the last success.
func (b *Backoff) Failures() int { return b.failures }
