// Package x509lite parses the few fields of a DER X.509 certificate the
// filter needs (fingerprint, subject CN, issuer Name, validity, authority
// key id, signature) and verifies a certificate's signature against a CA's
// SubjectPublicKeyInfo. crypto/x509 does not compile under TinyGo 0.39
// (it pulls in net and internal/poll), so this is a small bounds-checked
// DER reader instead; it never panics on any input (fuzzed).
package x509lite

import "errors"

// ErrMalformed is returned for any input that is not the expected DER.
var ErrMalformed = errors.New("x509lite: malformed DER")

// DER tags used here.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagUTCTime     = 0x17
	tagGenTime     = 0x18
	tagSequence    = 0x30
	tagSet         = 0x31
)

// element is one TLV: its tag, its content, and the full encoding.
type element struct {
	tag     byte
	content []byte
	full    []byte
}

// next reads one TLV from b and returns it with the rest of b.
func next(b []byte) (element, []byte, error) {
	if len(b) < 2 {
		return element{}, nil, ErrMalformed
	}
	tag := b[0]
	if tag&0x1f == 0x1f { // high tag numbers never occur in certificates
		return element{}, nil, ErrMalformed
	}
	l := int(b[1])
	hdr := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || len(b) < 2+n {
			return element{}, nil, ErrMalformed
		}
		l = 0
		for i := 0; i < n; i++ {
			l = l<<8 | int(b[2+i])
		}
		hdr += n
	}
	if l < 0 || l > len(b)-hdr {
		return element{}, nil, ErrMalformed
	}
	end := hdr + l
	return element{tag: tag, content: b[hdr:end:end], full: b[:end:end]}, b[end:], nil
}

// expect reads one TLV with the given tag.
func expect(b []byte, tag byte) (element, []byte, error) {
	e, rest, err := next(b)
	if err != nil {
		return e, nil, err
	}
	if e.tag != tag {
		return e, nil, ErrMalformed
	}
	return e, rest, nil
}

func equal(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
