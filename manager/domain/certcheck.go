package domain

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"slices"
	"time"
)

// MinRSABits is the smallest RSA modulus accepted.
const MinRSABits = 2048

// CertCheck is one single-purpose validation of an uploaded certificate.
type CertCheck func(cert *x509.Certificate, typ CertType, now time.Time) error

// CertChecks are applied, in order, to every uploaded certificate.
var CertChecks = []CertCheck{CheckValidity, CheckKey, CheckRole, CheckClientUsage}

// ValidateCertificate runs every check in CertChecks.
func ValidateCertificate(cert *x509.Certificate, typ CertType, now time.Time) error {
	for _, check := range CertChecks {
		if err := check(cert, typ, now); err != nil {
			return err
		}
	}
	return nil
}

// CheckValidity refuses certificates that are expired or not yet valid.
func CheckValidity(cert *x509.Certificate, _ CertType, now time.Time) error {
	if now.Before(cert.NotBefore) {
		return Invalid(CodeCertNotYetValid, "Certificate not yet valid",
			"the certificate is valid from %s only", cert.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(cert.NotAfter) {
		return Invalid(CodeCertExpired, "Certificate expired",
			"the certificate expired at %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckKey accepts RSA >= 2048 bits, ECDSA P-256/P-384/P-521 and Ed25519.
func CheckKey(cert *x509.Certificate, _ CertType, _ time.Time) error {
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return Invalid(CodeWeakKey, "Key too weak",
				"the RSA key has %d bits; at least %d are required", k.N.BitLen(), MinRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		if slices.Contains([]elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()}, k.Curve) {
			return nil
		}
		return Invalid(CodeUnsupportedKey, "Unsupported key",
			"the ECDSA curve %s is not supported; use P-256, P-384 or P-521", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return nil
	}
	return Invalid(CodeUnsupportedKey, "Unsupported key",
		"the certificate's %s key cannot authenticate a TLS client; use RSA (>= %d bits), ECDSA or Ed25519",
		cert.PublicKeyAlgorithm, MinRSABits)
}

// CheckRole matches the certificate to the upload type. A CA upload must be a
// CA (basicConstraints CA:TRUE and, when key usage is set, keyCertSign). A
// client upload may be a leaf or a self-signed certificate (openssl req -x509
// marks those CA:TRUE), but not an intermediate CA.
func CheckRole(cert *x509.Certificate, typ CertType, _ time.Time) error {
	if typ == CertTypeCA {
		if !cert.BasicConstraintsValid || !cert.IsCA {
			return Invalid(CodeCertUsage, "Not a CA certificate",
				"type=ca needs a certificate with basicConstraints CA:TRUE")
		}
		if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			return Invalid(CodeCertUsage, "Not a CA certificate",
				"type=ca needs the keyCertSign key usage")
		}
		return nil
	}
	if cert.IsCA && !isSelfSigned(cert) {
		return Invalid(CodeCertUsage, "CA certificate uploaded as client",
			"this is an intermediate CA certificate; upload it with type=ca to trust the certificates it issues")
	}
	return nil
}

// CheckClientUsage refuses client certificates whose extended key usage
// excludes TLS client authentication.
func CheckClientUsage(cert *x509.Certificate, typ CertType, _ time.Time) error {
	if typ == CertTypeCA || len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0 {
		return nil
	}
	if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return nil
	}
	return Invalid(CodeCertUsage, "Not a client certificate",
		"the certificate's extended key usage does not include TLS client authentication")
}

func isSelfSigned(cert *x509.Certificate) bool {
	return bytes.Equal(cert.RawIssuer, cert.RawSubject) && cert.CheckSignatureFrom(cert) == nil
}
