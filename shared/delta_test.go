package shared

import (
	"errors"
	"reflect"
	"testing"
)

func sampleDelta() Delta {
	s := sampleSnapshot()
	return Delta{Version: 42, Since: 40, Writes: Diff(nil, s.Entries())}
}

func TestDeltaRoundTrip(t *testing.T) {
	d := sampleDelta()
	d.Writes = append(d.Writes, Write{Key: KeyRevoked("ab"), Delete: true})
	got, err := DecodeDelta(d.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 42 || got.Since != 40 || got.Full || len(got.Writes) != len(d.Writes) {
		t.Fatalf("header: %+v", got)
	}
	for i := range d.Writes {
		w, g := d.Writes[i], got.Writes[i]
		if w.Key != g.Key || w.Delete != g.Delete || string(w.Record) != string(g.Record) {
			t.Fatalf("write %d: %+v != %+v", i, g, w)
		}
	}
	empty := Delta{Version: 7, Full: true}
	if got, err := DecodeDelta(empty.Encode()); err != nil || !reflect.DeepEqual(got, empty) {
		t.Fatalf("empty delta: %+v %v", got, err)
	}
}

func TestDeltaRejectsDamage(t *testing.T) {
	sd := sampleDelta()
	good := sd.Encode()
	cases := map[string][]byte{
		"fail/empty":          nil,
		"fail/truncated":      good[:len(good)/2],
		"fail/no-checksum":    good[:len(good)-4],
		"fail/bad-magic":      append([]byte("XGD1"), good[4:]...),
		"fail/flipped-bit":    func() []byte { b := append([]byte(nil), good...); b[10] ^= 1; return b }(),
		"fail/foreign-key":    (&Delta{Writes: []Write{{Key: "other/x", Record: []byte("r")}}}).Encode(),
		"fail/writes-current": (&Delta{Writes: []Write{{Key: KeyCurrent, Record: []byte("9")}}}).Encode(),
		"fail/writes-lease":   (&Delta{Writes: []Write{{Key: KeySyncLease, Record: []byte("x|9")}}}).Encode(),
		"fail/writes-counter": (&Delta{Writes: []Write{{Key: KeyRateLimit("a_b"), Record: []byte("x")}}}).Encode(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeDelta(b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("want ErrCorrupt, got %v", err)
			}
		})
	}
}

func FuzzDecodeDelta(f *testing.F) {
	sd := sampleDelta()
	f.Add(sd.Encode())
	f.Add((&Delta{Version: 1, Full: true}).Encode())
	f.Add([]byte("CGD1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDelta(b)
		if err != nil {
			return
		}
		again, err := DecodeDelta(d.Encode())
		if err != nil || again.Version != d.Version || len(again.Writes) != len(d.Writes) {
			t.Fatalf("re-encoded delta does not decode the same: %v", err)
		}
	})
}
