package x509lite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"
)

// ErrUnsupported is returned for signature or key algorithms the filter does not verify.
var ErrUnsupported = errors.New("x509lite: unsupported algorithm")

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("x509lite: bad signature")

// CheckSignatureFrom verifies that c was signed by the key in spki (a DER
// SubjectPublicKeyInfo): RSA PKCS#1 v1.5 with SHA-256/384/512, or ECDSA
// P-256/P-384 with SHA-256/384.
func (c *Certificate) CheckSignatureFrom(spki []byte) error {
	var hash crypto.Hash
	ec := false
	switch {
	case equal(c.SigAlg, oidSHA256RSA):
		hash = crypto.SHA256
	case equal(c.SigAlg, oidSHA384RSA):
		hash = crypto.SHA384
	case equal(c.SigAlg, oidSHA512RSA):
		hash = crypto.SHA512
	case equal(c.SigAlg, oidECDSASHA256):
		hash, ec = crypto.SHA256, true
	case equal(c.SigAlg, oidECDSASHA384):
		hash, ec = crypto.SHA384, true
	default:
		return ErrUnsupported
	}
	digest := digestOf(hash, c.RawTBS)
	key, err := parseSPKI(spki)
	if err != nil {
		return err
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if ec {
			return ErrUnsupported
		}
		if rsa.VerifyPKCS1v15(k, hash, digest, c.Signature) != nil {
			return ErrBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		if !ec {
			return ErrUnsupported
		}
		if !ecdsa.VerifyASN1(k, digest, c.Signature) {
			return ErrBadSignature
		}
		return nil
	}
	return ErrUnsupported
}

func digestOf(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(b)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(b)
		return d[:]
	}
	d := sha256.Sum256(b)
	return d[:]
}

// parseSPKI parses an RSA or EC (P-256/P-384) SubjectPublicKeyInfo.
func parseSPKI(b []byte) (crypto.PublicKey, error) {
	spki, _, err := expect(b, tagSequence)
	if err != nil {
		return nil, err
	}
	alg, rest, err := expect(spki.content, tagSequence)
	if err != nil {
		return nil, err
	}
	bits, _, err := expect(rest, tagBitString)
	if err != nil || len(bits.content) < 1 || bits.content[0] != 0 {
		return nil, ErrMalformed
	}
	key := bits.content[1:]
	oid, params, err := expect(alg.content, tagOID)
	if err != nil {
		return nil, err
	}
	switch {
	case equal(oid.content, oidRSAKey):
		return ParseRSAPublicKey(key)
	case equal(oid.content, oidECKey):
		curveOID, _, err := expect(params, tagOID)
		if err != nil {
			return nil, err
		}
		var curve elliptic.Curve
		switch {
		case equal(curveOID.content, oidP256):
			curve = elliptic.P256()
		case equal(curveOID.content, oidP384):
			curve = elliptic.P384()
		default:
			return nil, ErrUnsupported
		}
		return ECPublicKey(curve, key)
	}
	return nil, ErrUnsupported
}

// ParseRSAPublicKey parses a PKCS#1 RSAPublicKey (SEQUENCE { n, e }).
func ParseRSAPublicKey(b []byte) (*rsa.PublicKey, error) {
	seq, _, err := expect(b, tagSequence)
	if err != nil {
		return nil, err
	}
	n, rest, err := expect(seq.content, tagInteger)
	if err != nil {
		return nil, err
	}
	e, _, err := expect(rest, tagInteger)
	if err != nil || len(e.content) == 0 || len(e.content) > 4 {
		return nil, ErrMalformed
	}
	return RSAPublicKey(n.content, bigEndian(e.content))
}

func bigEndian(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// RSAPublicKey builds an RSA key from a big-endian modulus and exponent,
// rejecting keys crypto/rsa would refuse or that are too weak (< 2048 bits).
func RSAPublicKey(n []byte, e uint64) (*rsa.PublicKey, error) {
	for len(n) > 0 && n[0] == 0 {
		n = n[1:]
	}
	if len(n) < 256 || len(n) > 1024 || e < 3 || e > 1<<31-1 || e&1 == 0 {
		return nil, ErrUnsupported
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(e)}, nil
}

// ECPublicKey builds an ECDSA key from an uncompressed point (0x04 || X || Y) on curve.
func ECPublicKey(curve elliptic.Curve, point []byte) (*ecdsa.PublicKey, error) {
	size := (curve.Params().BitSize + 7) / 8
	if len(point) != 1+2*size || point[0] != 4 {
		return nil, ErrMalformed
	}
	return ECPublicKeyXY(curve, point[1:1+size], point[1+size:])
}

// ECPublicKeyXY builds an ECDSA key from big-endian coordinates, checking the point is on the curve.
func ECPublicKeyXY(curve elliptic.Curve, x, y []byte) (*ecdsa.PublicKey, error) {
	size := (curve.Params().BitSize + 7) / 8
	if len(x) != size || len(y) != size {
		return nil, ErrMalformed
	}
	k := &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	if !curve.IsOnCurve(k.X, k.Y) {
		return nil, ErrMalformed
	}
	return k, nil
}
