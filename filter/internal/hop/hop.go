// Package hop decides whether the previous hop (the TCP peer) is a trusted
// load balancer whose client-certificate header may be believed: by its
// source address (CIDRs) and/or by the fingerprint of the client
// certificate the load balancer itself presents on its mTLS connection to
// Envoy (WSO2's EnableClientCertificateValidation).
package hop

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
)

// Trusted is a parsed trusted-hop policy; the zero value trusts nobody.
type Trusted struct {
	prefixes     []netip.Prefix
	fingerprints map[[32]byte]struct{}
}

// Parse builds a policy from CIDRs ("10.0.0.0/8", "::1/128", or a bare
// address) and hex SHA-256 fingerprints (colons allowed, any case).
func Parse(cidrs, fingerprints []string) (Trusted, error) {
	var t Trusted
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, err2 := netip.ParseAddr(c)
			if err2 != nil {
				return Trusted{}, errors.New("invalid trusted CIDR " + quote(c))
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	for _, f := range fingerprints {
		fp, ok := ParseFingerprint(f)
		if !ok {
			return Trusted{}, errors.New("invalid trusted fingerprint " + quote(f) + " (want 64 hex digits of SHA-256)")
		}
		if t.fingerprints == nil {
			t.fingerprints = map[[32]byte]struct{}{}
		}
		t.fingerprints[fp] = struct{}{}
	}
	return t, nil
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}

// ParseFingerprint parses a hex SHA-256 fingerprint, colons allowed.
func ParseFingerprint(s string) ([32]byte, bool) {
	var fp [32]byte
	s = strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(s) != 64 {
		return fp, false
	}
	if _, err := hex.Decode(fp[:], []byte(s)); err != nil {
		return fp, false
	}
	return fp, true
}

// Empty reports whether no hop is trusted.
func (t *Trusted) Empty() bool { return len(t.prefixes) == 0 && len(t.fingerprints) == 0 }

// HasFingerprints reports whether any load-balancer certificate is trusted.
func (t *Trusted) HasFingerprints() bool { return len(t.fingerprints) > 0 }

// SourceTrusted reports whether Envoy's source.address ("ip:port",
// "[v6]:port" or a bare address) is inside a trusted CIDR.
func (t *Trusted) SourceTrusted(addr string) bool {
	if len(t.prefixes) == 0 || addr == "" {
		return false
	}
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(addr); err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// PeerTrusted reports whether the TLS peer's certificate fingerprint is a trusted load balancer's.
func (t *Trusted) PeerTrusted(fp [32]byte) bool {
	_, ok := t.fingerprints[fp]
	return ok
}
