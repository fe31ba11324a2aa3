package shared

import (
	"testing"
)

// memKV is shared data with proxy-wasm semantics.
type memKV struct {
	m   map[string][]byte
	cas map[string]uint32
	n   uint32
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}, cas: map[string]uint32{}} }

func (k *memKV) Get(key string) ([]byte, uint32, bool) {
	v, ok := k.m[key]
	return v, k.cas[key], ok
}

func (k *memKV) Set(key string, v []byte, cas uint32) error {
	if cas != 0 && k.cas[key] != cas {
		return ErrCasMismatch
	}
	k.n++
	k.m[key] = append([]byte(nil), v...)
	k.cas[key] = k.n
	return nil
}

// read is what the filter does: current generation, then one key.
func read(t *testing.T, kv *memKV, gen uint64, key string) ([]byte, bool) {
	t.Helper()
	v, _, ok := kv.Get(key)
	if !ok {
		return nil, false
	}
	return Visible(v, gen)
}

func TestPublishGenerations(t *testing.T) {
	kv := newMemKV()
	s1 := sampleSnapshot()
	e1 := s1.Entries()
	g1, err := Publish(kv, Diff(nil, e1))
	if err != nil || g1 != 1 {
		t.Fatalf("publish 1: %d, %v", g1, err)
	}
	certKey := KeyCert("admin--PizzaShack:v1.0.0", "ab01")
	if rec, ok := read(t, kv, g1, certKey); !ok {
		t.Fatal("cert not visible at gen 1")
	} else if c, err := DecodeClientCert(rec); err != nil || c.CN != "client.example" {
		t.Fatalf("cert: %+v %v", c, err)
	}
	if _, ok := read(t, kv, g1, KeyDefaultVersion("pizzashack")); !ok {
		t.Fatal("default version missing")
	}

	// Gen 2: change the cert's tier, remove the revocation, add a tier.
	s2 := sampleSnapshot()
	s2.Certs[0].Tier = "Silver"
	s2.Revoked = nil
	s2.Tiers = append(s2.Tiers, Tier{Name: "Silver", Count: 10, UnitMillis: 1000})
	e2 := s2.Entries()
	writes := Diff(e1, e2)
	if len(writes) != 3 {
		t.Fatalf("diff: want 3 writes, got %d: %+v", len(writes), writes)
	}
	// Apply the writes but do not flip yet: readers at gen 1 still see gen 1.
	for _, w := range writes {
		old, cas, _ := kv.Get(w.Key)
		if err := kv.Set(w.Key, Merge(old, 1, 2, w.Delete, w.Record), cas); err != nil {
			t.Fatal(err)
		}
	}
	rec, _ := read(t, kv, 1, certKey)
	if c, _ := DecodeClientCert(rec); c.Tier != "Gold" {
		t.Fatalf("half update visible at gen 1: tier %q", c.Tier)
	}
	if _, ok := read(t, kv, 1, KeyRevoked("dead")); !ok {
		t.Fatal("revocation vanished before the flip")
	}
	if _, ok := read(t, kv, 1, KeyTier("Silver")); ok {
		t.Fatal("new tier visible before the flip")
	}
	// Readers at gen 2 see all of it.
	rec, _ = read(t, kv, 2, certKey)
	if c, _ := DecodeClientCert(rec); c.Tier != "Silver" {
		t.Fatalf("gen 2 tier %q", c.Tier)
	}
	if _, ok := read(t, kv, 2, KeyRevoked("dead")); ok {
		t.Fatal("revocation still visible at gen 2")
	}
	if err := kv.Set(KeyCurrent, EncodeGeneration(2), 0); err != nil {
		t.Fatal(err)
	}

	// Gen 3 via Publish; the gen-1 version of the cert is dropped (at most two versions).
	s3 := sampleSnapshot()
	s3.Certs[0].Tier = "Bronze"
	g3, err := Publish(kv, Diff(e2, s3.Entries()))
	if err != nil || g3 != 3 {
		t.Fatalf("publish 3: %d %v", g3, err)
	}
	v, _, _ := kv.Get(certKey)
	vs, n, err := DecodeVersions(v)
	if err != nil || n != 2 || vs[0].Gen != 2 || vs[1].Gen != 3 {
		t.Fatalf("versions %+v n=%d %v", vs, n, err)
	}
}

func TestPublishDetectsConcurrentWriter(t *testing.T) {
	kv := newMemKV()
	if _, err := Publish(kv, Diff(nil, sampleSnapshot().Entries())); err != nil {
		t.Fatal(err)
	}
	racing := &racingKV{memKV: kv}
	if _, err := Publish(racing, []Write{{Key: KeyTier("X"), Record: (&Tier{Count: 1, UnitMillis: 1}).Encode()}}); err != ErrConcurrentPublish {
		t.Fatalf("want ErrConcurrentPublish, got %v", err)
	}
}

// racingKV bumps KeyCurrent behind the publisher's back on its first record write.
type racingKV struct {
	*memKV
	done bool
}

func (r *racingKV) Set(key string, v []byte, cas uint32) error {
	if !r.done && key != KeyCurrent {
		r.done = true
		_ = r.memKV.Set(KeyCurrent, EncodeGeneration(99), 0)
	}
	return r.memKV.Set(key, v, cas)
}

func TestVisible(t *testing.T) {
	v := EncodeVersions(Version{Gen: 3, Record: []byte("a")}, Version{Gen: 5, Tombstone: true})
	cases := []struct {
		name string
		gen  uint64
		want string
		ok   bool
	}{
		{"before-any", 2, "", false},
		{"old", 3, "a", true},
		{"between", 4, "a", true},
		{"tombstone", 5, "", false},
		{"after", 9, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Visible(v, c.gen)
			if ok != c.ok || string(got) != c.want {
				t.Fatalf("got %q %v", got, ok)
			}
		})
	}
	if _, ok := Visible([]byte("garbage"), 1); ok {
		t.Fatal("garbage visible")
	}
}

func TestEntriesDropRevokedPinnedCerts(t *testing.T) {
	s := sampleSnapshot()
	s.Revoked = append(s.Revoked, s.Certs[0].Fingerprint)
	e := s.Entries()
	if _, ok := e[KeyCert(s.Certs[0].APIID, s.Certs[0].Fingerprint)]; ok {
		t.Fatal("pinned record published for a revoked certificate")
	}
	if _, ok := e[KeyRevoked(s.Certs[0].Fingerprint)]; !ok {
		t.Fatal("revocation key missing")
	}
}
