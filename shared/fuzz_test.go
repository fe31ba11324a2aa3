package shared

import "testing"

func FuzzDecodeRecords(f *testing.F) {
	s := sampleSnapshot()
	for _, v := range s.Entries() {
		f.Add(v)
	}
	f.Add([]byte{})
	f.Add([]byte{tagIssuer, 0xff, 0xff, 0xff, 0x7f})
	f.Add(EncodeVersions(Version{Gen: 1, Record: s.APIs[0].Encode()}, Version{Gen: 2, Tombstone: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := DecodeAPI(b); err == nil {
			if _, err := DecodeAPI(a.Encode()); err != nil {
				t.Fatalf("re-encoded API does not decode: %v", err)
			}
		}
		if c, err := DecodeClientCert(b); err == nil {
			if got, err := DecodeClientCert(c.Encode()); err != nil || got != c {
				t.Fatalf("cert round trip: %+v %v", got, err)
			}
		}
		_, _ = DecodeCACert(b)
		_, _ = DecodeTier(b)
		if is, err := DecodeIssuer(b); err == nil {
			if _, err := DecodeIssuer(is.Encode()); err != nil {
				t.Fatalf("issuer round trip: %v", err)
			}
		}
		_, _ = DecodeDefaultVersion(b)
		_, _ = DecodeGeneration(b)
		for _, g := range []uint64{0, 1, 2, ^uint64(0)} {
			_, _ = Visible(b, g)
			m := Merge(b, g, g+1, false, []byte("r"))
			if rec, ok := Visible(m, g+1); !ok || string(rec) != "r" {
				t.Fatalf("merged value does not show the new version: %q %v", rec, ok)
			}
		}
		_ = ErrorBody(1, string(b), string(b))
	})
}
