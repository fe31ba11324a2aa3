package x509lite

import (
	"crypto/sha256"
	"time"
)

// Object identifiers (DER content bytes).
var (
	oidCN          = []byte{0x55, 0x04, 0x03}
	oidAKI         = []byte{0x55, 0x1d, 0x23}
	oidSKI         = []byte{0x55, 0x1d, 0x0e}
	oidSHA256RSA   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}
	oidSHA384RSA   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}
	oidSHA512RSA   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}
	oidECDSASHA256 = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}
	oidECDSASHA384 = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}
	oidRSAKey      = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}
	oidECKey       = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}
	oidP256        = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	oidP384        = []byte{0x2b, 0x81, 0x04, 0x00, 0x22}
)

// Certificate holds the parsed fields; byte slices alias the input DER.
type Certificate struct {
	Raw       []byte
	RawTBS    []byte
	Issuer    []byte // DER Name
	Subject   []byte // DER Name
	CN        string
	NotBefore int64 // Unix seconds
	NotAfter  int64 // Unix seconds
	// AuthorityKeyID is the keyIdentifier of the authority key id extension (nil when absent).
	AuthorityKeyID []byte
	// SubjectKeyID is the subject key id extension (nil when absent).
	SubjectKeyID []byte
	SPKI         []byte // DER SubjectPublicKeyInfo
	SigAlg       []byte // OID content
	Signature    []byte
}

// Fingerprint returns the SHA-256 of der.
func Fingerprint(der []byte) [32]byte { return sha256.Sum256(der) }

// Parse parses a DER certificate.
func Parse(der []byte) (*Certificate, error) {
	c := &Certificate{Raw: der}
	outer, rest, err := expect(der, tagSequence)
	if err != nil || len(rest) != 0 {
		return nil, ErrMalformed
	}
	tbs, body, err := expect(outer.content, tagSequence)
	if err != nil {
		return nil, err
	}
	c.RawTBS = tbs.full
	alg, body, err := expect(body, tagSequence)
	if err != nil {
		return nil, err
	}
	oid, _, err := expect(alg.content, tagOID)
	if err != nil {
		return nil, err
	}
	c.SigAlg = oid.content
	sig, _, err := expect(body, tagBitString)
	if err != nil || len(sig.content) < 1 || sig.content[0] != 0 {
		return nil, ErrMalformed
	}
	c.Signature = sig.content[1:]
	if err := c.parseTBS(tbs.content); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Certificate) parseTBS(b []byte) error {
	e, b, err := next(b)
	if err != nil {
		return err
	}
	if e.tag == 0xa0 { // [0] EXPLICIT version
		if e, b, err = next(b); err != nil {
			return err
		}
	}
	if e.tag != tagInteger { // serialNumber
		return ErrMalformed
	}
	if _, b, err = expect(b, tagSequence); err != nil { // signature AlgorithmIdentifier
		return err
	}
	issuer, b, err := expect(b, tagSequence)
	if err != nil {
		return err
	}
	c.Issuer = issuer.full
	validity, b, err := expect(b, tagSequence)
	if err != nil {
		return err
	}
	if c.NotBefore, c.NotAfter, err = parseValidity(validity.content); err != nil {
		return err
	}
	subject, b, err := expect(b, tagSequence)
	if err != nil {
		return err
	}
	c.Subject = subject.full
	c.CN = commonName(subject.content)
	spki, b, err := expect(b, tagSequence)
	if err != nil {
		return err
	}
	c.SPKI = spki.full
	for len(b) > 0 {
		if e, b, err = next(b); err != nil {
			return err
		}
		if e.tag == 0xa3 { // [3] EXPLICIT extensions
			return c.parseExtensions(e.content)
		}
	}
	return nil
}

func (c *Certificate) parseExtensions(b []byte) error {
	exts, _, err := expect(b, tagSequence)
	if err != nil {
		return err
	}
	b = exts.content
	for len(b) > 0 {
		var ext element
		if ext, b, err = expect(b, tagSequence); err != nil {
			return err
		}
		id, rest, err := expect(ext.content, tagOID)
		if err != nil {
			return err
		}
		v, rest, err := next(rest)
		if err != nil {
			return err
		}
		if v.tag == tagBoolean { // critical
			if v, _, err = next(rest); err != nil {
				return err
			}
		}
		if v.tag != tagOctetString {
			return ErrMalformed
		}
		switch {
		case equal(id.content, oidAKI):
			seq, _, err := expect(v.content, tagSequence)
			if err != nil {
				return err
			}
			if len(seq.content) > 0 {
				if kid, _, err := next(seq.content); err == nil && kid.tag == 0x80 {
					c.AuthorityKeyID = kid.content
				}
			}
		case equal(id.content, oidSKI):
			kid, _, err := expect(v.content, tagOctetString)
			if err != nil {
				return err
			}
			c.SubjectKeyID = kid.content
		}
	}
	return nil
}

// commonName returns the first CN attribute of a Name's content ("" when none).
func commonName(b []byte) string {
	for len(b) > 0 {
		set, rest, err := expect(b, tagSet)
		if err != nil {
			return ""
		}
		b = rest
		atvs := set.content
		for len(atvs) > 0 {
			atv, r, err := expect(atvs, tagSequence)
			if err != nil {
				return ""
			}
			atvs = r
			oid, val, err := expect(atv.content, tagOID)
			if err != nil || !equal(oid.content, oidCN) {
				continue
			}
			v, _, err := next(val)
			if err != nil {
				return ""
			}
			return string(v.content)
		}
	}
	return ""
}

func parseValidity(b []byte) (notBefore, notAfter int64, err error) {
	nb, rest, err := next(b)
	if err != nil {
		return 0, 0, err
	}
	na, _, err := next(rest)
	if err != nil {
		return 0, 0, err
	}
	if notBefore, err = parseTime(nb); err != nil {
		return 0, 0, err
	}
	if notAfter, err = parseTime(na); err != nil {
		return 0, 0, err
	}
	return notBefore, notAfter, nil
}

// parseTime parses UTCTime (YYMMDDHHMMSSZ) and GeneralizedTime (YYYYMMDDHHMMSSZ).
func parseTime(e element) (int64, error) {
	s := e.content
	var year int
	switch {
	case e.tag == tagUTCTime && len(s) == 13:
		y, ok := digits(s[:2])
		if !ok {
			return 0, ErrMalformed
		}
		year = 1900 + y
		if y < 50 {
			year = 2000 + y
		}
		s = s[2:]
	case e.tag == tagGenTime && len(s) == 15:
		y, ok := digits(s[:4])
		if !ok {
			return 0, ErrMalformed
		}
		year = y
		s = s[4:]
	default:
		return 0, ErrMalformed
	}
	if s[10] != 'Z' {
		return 0, ErrMalformed
	}
	var f [5]int
	for i := range f {
		v, ok := digits(s[2*i : 2*i+2])
		if !ok {
			return 0, ErrMalformed
		}
		f[i] = v
	}
	if f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60 {
		return 0, ErrMalformed
	}
	return time.Date(year, time.Month(f[0]), f[1], f[2], f[3], f[4], 0, time.UTC).Unix(), nil
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
