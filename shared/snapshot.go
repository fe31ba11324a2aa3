package shared

import (
	"errors"
	"sort"
)

// Snapshot is everything the filter enforces, as the manager publishes it.
// It is the writer side of the contract: Entries turns it into shared-data
// records, Diff into the writes that move a gateway from one snapshot to
// the next, and Publish applies those writes as one new generation.
type Snapshot struct {
	APIs    []API
	Certs   []ClientCert
	CAs     []CACert
	Revoked []string // fingerprints, lowercase hex SHA-256
	Tiers   []Tier
	Issuers []Issuer
}

// Entries returns every key of the snapshot with its (unversioned) record.
// Pinned-certificate records of revoked fingerprints are left out, so a
// reader that finds a pinned record needs no revocation lookup (the
// revocation keys still cover CA-issued certificates).
func (s *Snapshot) Entries() map[string][]byte {
	m := make(map[string][]byte, len(s.APIs)*2+len(s.Certs)+len(s.CAs)*2+len(s.Revoked)+len(s.Tiers)+len(s.Issuers))
	for i := range s.APIs {
		a := &s.APIs[i]
		m[KeyAPI(a.Context, a.Version)] = a.Encode()
		if a.Default {
			m[KeyDefaultVersion(a.Context)] = EncodeDefaultVersion(a.Version)
		}
	}
	revoked := make(map[string]bool, len(s.Revoked))
	for _, fp := range s.Revoked {
		revoked[fp] = true
	}
	for i := range s.Certs {
		c := &s.Certs[i]
		if revoked[c.Fingerprint] {
			continue // a pinned record is never published for a revoked certificate
		}
		m[KeyCert(c.APIID, c.Fingerprint)] = c.Encode()
	}
	for i := range s.CAs {
		c := &s.CAs[i]
		rec := c.Encode()
		if c.SubjectKeyID != "" {
			m[KeyCABySKI(c.APIID, c.SubjectKeyID)] = rec
		}
		if c.SubjectHash != "" {
			m[KeyCABySubject(c.APIID, c.SubjectHash)] = rec
		}
	}
	for _, fp := range s.Revoked {
		m[KeyRevoked(fp)] = EncodeRevoked()
	}
	for i := range s.Tiers {
		t := &s.Tiers[i]
		m[KeyTier(t.Name)] = t.Encode()
	}
	for i := range s.Issuers {
		is := &s.Issuers[i]
		m[KeyIssuer(is.Issuer)] = is.Encode()
	}
	return m
}

// Write is one record write of a delta; Delete writes a tombstone.
type Write struct {
	Key    string
	Record []byte
	Delete bool
}

// Diff returns the writes that turn prev's entries into next's (prev may be
// nil for a first, full publication), sorted by key.
func Diff(prev, next map[string][]byte) []Write {
	var out []Write
	for k, v := range next {
		if old, ok := prev[k]; ok && string(old) == string(v) {
			continue
		}
		out = append(out, Write{Key: k, Record: v})
	}
	for k := range prev {
		if _, ok := next[k]; !ok {
			out = append(out, Write{Key: k, Delete: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ErrCasMismatch is what a KV returns when a CAS write lost a race.
var ErrCasMismatch = errors.New("shared: cas mismatch")

// KV is shared data as the writer sees it (proxy-wasm semantics: cas 0 on
// Set means unconditional; a missing key reads as ok=false, cas 0).
type KV interface {
	Get(key string) (value []byte, cas uint32, ok bool)
	Set(key string, value []byte, cas uint32) error
}

// ErrConcurrentPublish is returned by Publish when another writer moved KeyCurrent meanwhile.
var ErrConcurrentPublish = errors.New("shared: generation changed during publish")

// CurrentGeneration reads KeyCurrent (0, cas 0 when nothing was published).
func CurrentGeneration(kv KV) (gen uint64, cas uint32, err error) {
	v, cas, ok := kv.Get(KeyCurrent)
	if !ok {
		return 0, 0, nil
	}
	gen, err = DecodeGeneration(v)
	return gen, cas, err
}

// Publish applies writes as generation current+1 and flips KeyCurrent to
// it with CAS, returning the new generation. Readers see the whole delta
// at once or not at all. Every record write is itself a CAS on the key so
// a concurrent writer is detected rather than silently merged.
func Publish(kv KV, writes []Write) (uint64, error) {
	cur, curCas, err := CurrentGeneration(kv)
	if err != nil {
		return 0, err
	}
	gen := cur + 1
	for _, w := range writes {
		old, cas, _ := kv.Get(w.Key)
		if err := kv.Set(w.Key, Merge(old, cur, gen, w.Delete, w.Record), cas); err != nil {
			return 0, err
		}
	}
	if err := kv.Set(KeyCurrent, EncodeGeneration(gen), curCas); err != nil {
		if errors.Is(err, ErrCasMismatch) {
			return 0, ErrConcurrentPublish
		}
		return 0, err
	}
	return gen, nil
}
