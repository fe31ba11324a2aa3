package domain

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// jksMagic starts every Java KeyStore file.
var jksMagic = []byte{0xFE, 0xED, 0xFE, 0xED}

// DecodeCertificateFile extracts the single certificate of an uploaded file:
// PEM (.crt/.cer/.pem), DER, JKS (one trusted-certificate entry) or PKCS#12
// (a trust store with one certificate). password opens keystores. Files that
// carry a private key are refused, as are files with several certificates.
func DecodeCertificateFile(data []byte, password string) (*x509.Certificate, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, malformed("the certificate file is empty")
	case bytes.HasPrefix(data, jksMagic):
		return decodeJKS(data, password)
	case bytes.Contains(trimmed, []byte("-----BEGIN")):
		return decodePEM(trimmed)
	}
	return decodeDER(data, password)
}

func malformed(format string, args ...any) *Error {
	return Invalid(CodeCertMalformed, "Invalid certificate", format, args...)
}

func privateKeyRefused(where string) *Error {
	return Invalid(CodePrivateKeyRefused, "Private key refused",
		"the %s contains a private key; upload only the public certificate (never share a private key)", where)
}

func multipleCerts(n int, where string) *Error {
	return Invalid(CodeMultipleCerts, "Several certificates",
		"the %s contains %d certificates; upload exactly one per alias", where, n)
}

func keystorePassword(kind string) *Error {
	return Invalid(CodeKeystorePassword, "Wrong keystore password",
		"the %s could not be opened: wrong or missing password (form field \"password\")", kind)
}

// pemCertificates returns the DER of every certificate block in PEM data;
// a private key (refused, naming where), another block type or undecodable
// PEM is an error.
func pemCertificates(data []byte, where string) ([][]byte, error) {
	var certs [][]byte
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case strings.Contains(block.Type, "PRIVATE KEY"):
			return nil, privateKeyRefused(where)
		case block.Type == "CERTIFICATE" || block.Type == "X509 CERTIFICATE" || block.Type == "TRUSTED CERTIFICATE":
			certs = append(certs, block.Bytes)
		default:
			return nil, malformed("unexpected PEM block %q in the %s; expected CERTIFICATE", block.Type, where)
		}
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return nil, malformed("the PEM data of the %s could not be decoded", where)
	}
	return certs, nil
}

func decodePEM(data []byte) (*x509.Certificate, error) {
	certs, err := pemCertificates(data, "PEM file")
	if err != nil {
		return nil, err
	}
	switch len(certs) {
	case 0:
		return nil, malformed("no PEM CERTIFICATE block could be decoded")
	case 1:
	default:
		return nil, multipleCerts(len(certs), "PEM file")
	}
	cert, err := x509.ParseCertificate(certs[0])
	if err != nil {
		return nil, malformed("the PEM certificate is not valid X.509: %v", err)
	}
	return cert, nil
}

func decodeDER(data []byte, password string) (*x509.Certificate, error) {
	cert, certErr := x509.ParseCertificate(data)
	if certErr == nil {
		return cert, nil
	}
	if isDERPrivateKey(data) {
		return nil, privateKeyRefused("DER file")
	}
	if certs, err := x509.ParseCertificates(data); err == nil && len(certs) > 1 {
		return nil, multipleCerts(len(certs), "DER file")
	}
	if cert, err, ok := decodePKCS12(data, password); ok {
		return cert, err
	}
	return nil, malformed("the file is neither PEM, DER X.509, JKS nor PKCS#12: %v", certErr)
}

func isDERPrivateKey(data []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return true
	}
	_, err := x509.ParseECPrivateKey(data)
	return err == nil
}

// decodePKCS12 reports ok=false when data is not PKCS#12 at all.
func decodePKCS12(data []byte, password string) (*x509.Certificate, error, bool) {
	certs, err := pkcs12.DecodeTrustStore(data, password)
	if err == nil {
		switch len(certs) {
		case 0:
			return nil, malformed("the PKCS#12 trust store holds no certificate"), true
		case 1:
			return certs[0], nil, true
		}
		return nil, multipleCerts(len(certs), "PKCS#12 file"), true
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, keystorePassword("PKCS#12 file"), true
	}
	if strings.Contains(err.Error(), "error reading P12 data") {
		return nil, nil, false
	}
	// Not a pure trust store: does it carry a key?
	if _, _, _, kerr := pkcs12.DecodeChain(data, password); kerr == nil {
		return nil, privateKeyRefused("PKCS#12 file"), true
	} else if errors.Is(kerr, pkcs12.ErrIncorrectPassword) {
		return nil, keystorePassword("PKCS#12 file"), true
	}
	if strings.Contains(err.Error(), "not marked as trusted") {
		return nil, malformed("the PKCS#12 file's certificate is not marked as a trusted certificate (plain \"openssl pkcs12 -export -nokeys\" output); " +
			"build it with \"keytool -importcert -storetype PKCS12\" (or openssl >= 3.2 with -jdktrust anyExtendedKeyUsage), or upload the PEM certificate"), true
	}
	return nil, malformed("unsupported PKCS#12 content (%v); upload the PEM certificate instead", err), true
}

func decodeJKS(data []byte, password string) (*x509.Certificate, error) {
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
		if strings.Contains(err.Error(), "invalid digest") {
			return nil, keystorePassword("JKS keystore")
		}
		return nil, malformed("the JKS keystore could not be read: %v", err)
	}
	var der [][]byte
	for _, alias := range ks.Aliases() {
		if ks.IsPrivateKeyEntry(alias) {
			return nil, privateKeyRefused("JKS keystore")
		}
		entry, err := ks.GetTrustedCertificateEntry(alias)
		if err != nil {
			return nil, malformed("JKS entry %q could not be read: %v", alias, err)
		}
		if entry.Certificate.Type != "X.509" && entry.Certificate.Type != "X509" {
			return nil, malformed("JKS entry %q holds a %q certificate; only X.509 is supported", alias, entry.Certificate.Type)
		}
		der = append(der, entry.Certificate.Content)
	}
	switch len(der) {
	case 0:
		return nil, malformed("the JKS keystore holds no trusted certificate")
	case 1:
	default:
		return nil, multipleCerts(len(der), "JKS keystore")
	}
	cert, err := x509.ParseCertificate(der[0])
	if err != nil {
		return nil, malformed("the JKS certificate is not valid X.509: %v", err)
	}
	return cert, nil
}
