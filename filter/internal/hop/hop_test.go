package hop

import (
	"strings"
	"testing"
)

func TestTrusted(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	tr, err := Parse([]string{"10.0.0.0/8", "192.168.1.7", "2001:db8::/32"}, []string{strings.ToUpper(fp[:2]) + ":" + fp[2:]})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr string
		want bool
	}{
		{"10.1.2.3:443", true},
		{"10.1.2.3", true},
		{"11.0.0.1:80", false},
		{"192.168.1.7:5555", true},
		{"192.168.1.8:5555", false},
		{"[2001:db8::1]:443", true},
		{"[::ffff:10.0.0.1]:80", true},
		{"[2001:db9::1]:443", false},
		{"", false},
		{"garbage", false},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			if got := tr.SourceTrusted(c.addr); got != c.want {
				t.Fatalf("got %v", got)
			}
		})
	}
	want, _ := ParseFingerprint(fp)
	if !tr.PeerTrusted(want) || tr.PeerTrusted([32]byte{}) {
		t.Fatal("fingerprint trust")
	}
	var zero Trusted
	if !zero.Empty() || zero.SourceTrusted("10.0.0.1:1") || zero.PeerTrusted(want) {
		t.Fatal("zero value trusts")
	}
}

func TestParseRejects(t *testing.T) {
	if _, err := Parse([]string{"10.0.0.0/33"}, nil); err == nil {
		t.Fatal("bad CIDR accepted")
	}
	if _, err := Parse(nil, []string{"abcd"}); err == nil {
		t.Fatal("short fingerprint accepted")
	}
}
