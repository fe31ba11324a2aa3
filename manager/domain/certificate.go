package domain

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"regexp"
	"strings"
	"time"
)

// CertType says how the gateway uses an uploaded certificate.
type CertType string

const (
	// CertTypeClient pins the certificate itself: a caller presenting exactly
	// this certificate (same SHA-256 fingerprint) is accepted.
	CertTypeClient CertType = "client"
	// CertTypeCA trusts the certificate as an issuer: a caller presenting a
	// certificate it issued is accepted.
	CertTypeCA CertType = "ca"
)

// ParseCertType parses the optional "type" form field ("" means client).
func ParseCertType(s string) (CertType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "client":
		return CertTypeClient, nil
	case "ca":
		return CertTypeCA, nil
	}
	return "", Invalid(CodeValidation, "Invalid certificate type", "type must be \"client\" or \"ca\", got %q", s)
}

// ClientCertificate is a certificate bound to an API under an alias, with
// the tier that throttles its callers. DER is the stored truth; the other
// certificate fields are derived from it at upload.
type ClientCertificate struct {
	APIID        string
	Alias        string
	Tier         string
	Type         CertType
	DER          []byte
	Fingerprint  string // SHA-256 of DER, lowercase hex
	Subject      string
	CommonName   string
	Issuer       string
	SerialNumber string // lowercase hex
	NotBefore    time.Time
	NotAfter     time.Time
	KeyType      string // RSA, ECDSA, Ed25519
	KeySize      int    // bits
	Version      int    // X.509 version (3)
	SubjectKeyID string // hex, kept for CA uploads
	Removed      bool   // history entry (seed 000's REMOVED flag)
	CreatedAt    time.Time
	UpdatedAt    time.Time
	RemovedAt    time.Time
}

// MaxAliasLen is WSO2's ALIAS VARCHAR(45).
const MaxAliasLen = 45

var aliasRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ValidateAlias checks an alias: 1-45 characters of [A-Za-z0-9._-].
func ValidateAlias(alias string) error {
	switch {
	case alias == "":
		return Invalid(CodeInvalidAlias, "Invalid alias", "alias is required")
	case len(alias) > MaxAliasLen:
		return Invalid(CodeInvalidAlias, "Invalid alias", "alias is limited to %d characters, got %d", MaxAliasLen, len(alias))
	case !aliasRE.MatchString(alias):
		return Invalid(CodeInvalidAlias, "Invalid alias", "alias may only contain letters, digits, '.', '_' and '-', got %q", alias)
	}
	return nil
}

// Fingerprint returns the lowercase hex SHA-256 of a DER certificate.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Describe fills the derived certificate fields of c from cert.
func (c *ClientCertificate) Describe(cert *x509.Certificate) {
	c.DER = cert.Raw
	c.Fingerprint = Fingerprint(cert.Raw)
	c.Subject = cert.Subject.String()
	c.CommonName = cert.Subject.CommonName
	c.Issuer = cert.Issuer.String()
	c.SerialNumber = hex.EncodeToString(cert.SerialNumber.Bytes())
	c.NotBefore = cert.NotBefore.UTC()
	c.NotAfter = cert.NotAfter.UTC()
	c.KeyType, c.KeySize = KeyInfo(cert.PublicKey)
	c.Version = cert.Version
	c.SubjectKeyID = ""
	if c.Type == CertTypeCA {
		c.SubjectKeyID = hex.EncodeToString(cert.SubjectKeyId)
	}
}

// Certificate parses the stored DER.
func (c ClientCertificate) Certificate() (*x509.Certificate, error) {
	return x509.ParseCertificate(c.DER)
}

// Status is WSO2's certificate status: "Active" or "Expired" at now.
func (c ClientCertificate) Status(now time.Time) string {
	if now.After(c.NotAfter) {
		return "Expired"
	}
	return "Active"
}

// KeyInfo names a public key's algorithm and size in bits.
func KeyInfo(pub any) (string, int) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return "unknown", 0
}
