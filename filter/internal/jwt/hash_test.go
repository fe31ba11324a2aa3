package jwt

import "testing"

// TestHashSpreads checks that changing any single byte of a token-sized
// input (word-aligned, mid-word and in the tail) changes the hash, so the
// word-wise loop reads every byte.
func TestHashSpreads(t *testing.T) {
	cases := []struct {
		name string
		n    int
	}{
		{"short", 5},
		{"one-word", 8},
		{"words-and-tail", 27},
		{"jwt-sized", 611},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := make([]byte, c.n)
			for i := range b {
				b[i] = byte('A' + i%26)
			}
			base := Hash(string(b))
			if Hash(string(b)) != base {
				t.Fatal("hash is not deterministic")
			}
			for i := range b {
				b[i] ^= 0x20
				if Hash(string(b)) == base {
					t.Fatalf("flipping byte %d of %d does not change the hash", i, c.n)
				}
				b[i] ^= 0x20
			}
		})
	}
}

func TestEqual(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"empty", "", "", true},
		{"same-short", "abc", "abc", true},
		{"same-long", "0123456789abcdefXYZ", "0123456789abcdefXYZ", true},
		{"diff-in-word", "0123456789abcdefXYZ", "0123456789abcdeFXYZ", false},
		{"diff-in-tail", "0123456789abcdefXYZ", "0123456789abcdefXYz", false},
		{"diff-first", "x123456789", "0123456789", false},
		{"length", "0123456789", "012345678", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Equal(c.a, c.b); got != c.want {
				t.Fatalf("Equal(%q, %q) = %v", c.a, c.b, got)
			}
		})
	}
}
