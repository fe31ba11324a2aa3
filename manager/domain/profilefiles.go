package domain

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"time"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// MaxTrustStoreCerts bounds the certificates of one trust store.
const MaxTrustStoreCerts = 100

func keyStoreInvalid(format string, args ...any) *Error {
	return Invalid(CodeKeyStoreInvalid, "Invalid key store", format, args...)
}

func wrongPassword(kind, field string) *Error {
	return Invalid(CodeKeystorePassword, "Wrong keystore password",
		"the %s could not be opened: wrong or missing password (form field %q)", kind, field)
}

// DecodeTrustStore extracts the certificates of a backend profile's trust
// store: PEM (one or more CERTIFICATE blocks), DER (one or concatenated),
// JKS (trusted-certificate entries) or PKCS#12 (a trust store). A trust
// store must not carry a private key. Every certificate must be within its
// validity at now and use a supported key.
func DecodeTrustStore(data []byte, password string, now time.Time) ([]*x509.Certificate, error) {
	certs, err := decodeTrustStore(data, password)
	if err != nil {
		return nil, err
	}
	switch {
	case len(certs) == 0:
		return nil, malformed("the trust store holds no certificate")
	case len(certs) > MaxTrustStoreCerts:
		return nil, Invalid(CodeValidation, "Trust store too large", "the trust store holds %d certificates; at most %d are accepted", len(certs), MaxTrustStoreCerts)
	}
	for _, c := range certs {
		if err := CheckValidity(c, CertTypeCA, now); err != nil {
			return nil, err
		}
		if err := CheckKey(c, CertTypeCA, now); err != nil {
			return nil, err
		}
	}
	return certs, nil
}

func decodeTrustStore(data []byte, password string) ([]*x509.Certificate, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, malformed("the trust store file is empty")
	case bytes.HasPrefix(data, jksMagic):
		return trustJKS(data, password)
	case bytes.Contains(trimmed, []byte("-----BEGIN")):
		return trustPEM(trimmed)
	}
	if certs, err := x509.ParseCertificates(data); err == nil {
		return certs, nil
	} else if isDERPrivateKey(data) {
		return nil, privateKeyRefused("trust store")
	}
	certs, err := pkcs12.DecodeTrustStore(data, password)
	switch {
	case err == nil:
		return certs, nil
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, wrongPassword("PKCS#12 trust store", "trustStorePassword")
	case strings.Contains(err.Error(), "error reading P12 data"):
		return nil, malformed("the trust store is neither PEM, DER, JKS nor PKCS#12")
	}
	if _, _, _, kerr := pkcs12.DecodeChain(data, password); kerr == nil {
		return nil, privateKeyRefused("PKCS#12 trust store")
	}
	return nil, malformed("unsupported PKCS#12 trust store content (%v); upload the CA certificates as PEM instead", err)
}

func trustPEM(data []byte) ([]*x509.Certificate, error) {
	ders, err := pemCertificates(data, "trust store")
	if err != nil {
		return nil, err
	}
	certs := make([]*x509.Certificate, 0, len(ders))
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, malformed("trust store certificate %d is not valid X.509: %v", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

func loadJKS(data []byte, password, field string) (keystore.KeyStore, error) {
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
		if strings.Contains(err.Error(), "invalid digest") {
			return ks, wrongPassword("JKS keystore", field)
		}
		return ks, malformed("the JKS keystore could not be read: %v", err)
	}
	return ks, nil
}

func trustJKS(data []byte, password string) ([]*x509.Certificate, error) {
	ks, err := loadJKS(data, password, "trustStorePassword")
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, alias := range ks.Aliases() {
		if ks.IsPrivateKeyEntry(alias) {
			return nil, privateKeyRefused("JKS trust store")
		}
		entry, err := ks.GetTrustedCertificateEntry(alias)
		if err != nil {
			return nil, malformed("JKS entry %q could not be read: %v", alias, err)
		}
		c, err := x509.ParseCertificate(entry.Certificate.Content)
		if err != nil {
			return nil, malformed("JKS entry %q is not valid X.509: %v", alias, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// DecodeKeyStore extracts the client certificate chain (leaf first) and
// private key a gateway presents to a backend: PEM (certificates and key in
// data, or the key in keyData), JKS (exactly one private-key entry; store and
// key password equal) or PKCS#12. The key must match the leaf, be RSA >= 2048
// bits, ECDSA P-256/384/521 or Ed25519, and the leaf must be valid at now and
// usable for TLS client authentication.
func DecodeKeyStore(data, keyData []byte, password string, now time.Time) (*KeyStore, error) {
	chain, key, err := decodeKeyStore(data, keyData, password)
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, keyStoreInvalid("the key store holds no certificate for its private key")
	}
	leaf := chain[0]
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, Invalid(CodeKeyMismatch, "Key does not match certificate",
			"the key store's private key does not belong to its certificate %q", leaf.Subject.String())
	}
	for _, check := range []CertCheck{CheckValidity, CheckKey, CheckClientUsage} {
		if err := check(leaf, CertTypeClient, now); err != nil {
			return nil, err
		}
	}
	for i, c := range chain[1:] {
		if err := CheckValidity(c, CertTypeCA, now); err != nil {
			return nil, err
		}
		if !bytes.Equal(chain[i].RawIssuer, c.RawSubject) || chain[i].CheckSignatureFrom(c) != nil {
			return nil, keyStoreInvalid("the key store's certificate chain is out of order: certificate %d (%q) is not issued by the next one (%q)",
				i+1, chain[i].Subject.String(), c.Subject.String())
		}
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, keyStoreInvalid("the private key cannot be stored: %v", err)
	}
	ks := &KeyStore{KeyPKCS8: pkcs8, Subject: leaf.Subject.String(), Fingerprint: Fingerprint(leaf.Raw), NotAfter: leaf.NotAfter.UTC()}
	ks.KeyType, ks.KeySize = KeyInfo(leaf.PublicKey)
	for _, c := range chain {
		ks.ChainDER = append(ks.ChainDER, c.Raw)
	}
	return ks, nil
}

func decodeKeyStore(data, keyData []byte, password string) ([]*x509.Certificate, crypto.Signer, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, nil, malformed("the key store file is empty")
	case bytes.HasPrefix(data, jksMagic):
		if len(keyData) > 0 {
			return nil, nil, keyStoreInvalid("a JKS key store carries its key: send no \"keyStoreKey\" file")
		}
		return keyJKS(data, password)
	case bytes.Contains(trimmed, []byte("-----BEGIN")):
		return keyPEM(append(append(append([]byte{}, trimmed...), '\n'), keyData...))
	}
	if len(keyData) > 0 {
		return nil, nil, keyStoreInvalid("a PKCS#12 key store carries its key: send no \"keyStoreKey\" file")
	}
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, nil, wrongPassword("PKCS#12 key store", "keyStorePassword")
	case err != nil && strings.Contains(err.Error(), "error reading P12 data"):
		return nil, nil, malformed("the key store is neither PEM, JKS nor PKCS#12")
	case err != nil:
		return nil, nil, keyStoreInvalid("the PKCS#12 key store could not be read (%v); it must hold one private key and its certificate", err)
	}
	signer, err := asSigner(key)
	if err != nil {
		return nil, nil, err
	}
	return orderChain(leaf, cas), signer, nil
}

// orderChain follows issuers from leaf through cas (PKCS#12 does not order
// its CA bag); certificates off the path are dropped.
func orderChain(leaf *x509.Certificate, cas []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	used := make([]bool, len(cas))
	for cur := leaf; ; {
		next := -1
		for i, c := range cas {
			if !used[i] && !bytes.Equal(c.Raw, cur.Raw) && bytes.Equal(cur.RawIssuer, c.RawSubject) && cur.CheckSignatureFrom(c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			return chain
		}
		used[next] = true
		cur = cas[next]
		chain = append(chain, cur)
	}
}

func keyPEM(data []byte) ([]*x509.Certificate, crypto.Signer, error) {
	var chain []*x509.Certificate
	var keys []any
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, malformed("key store certificate %d is not valid X.509: %v", len(chain)+1, err)
			}
			chain = append(chain, c)
		case block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "":
			return nil, nil, keyStoreInvalid("encrypted PEM private keys are not supported; decrypt it first (openssl pkey -in key.pem -out plain.pem) " +
				"or upload a JKS or PKCS#12 key store with its password")
		case strings.HasSuffix(block.Type, "PRIVATE KEY"):
			k, err := parsePrivateKey(block)
			if err != nil {
				return nil, nil, err
			}
			keys = append(keys, k)
		default:
			return nil, nil, malformed("unexpected PEM block %q in the key store; expected CERTIFICATE and PRIVATE KEY", block.Type)
		}
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return nil, nil, malformed("the key store's PEM data could not be decoded")
	}
	switch len(keys) {
	case 0:
		return nil, nil, keyStoreInvalid("the key store holds no private key: send the key in the same PEM file or as \"keyStoreKey\"")
	case 1:
	default:
		return nil, nil, keyStoreInvalid("the key store holds %d private keys; exactly one is expected", len(keys))
	}
	signer, err := asSigner(keys[0])
	return chain, signer, err
}

func parsePrivateKey(block *pem.Block) (any, error) {
	var k any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, keyStoreInvalid("unsupported PEM key block %q (use PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", block.Type)
	}
	if err != nil {
		// The parser's error text never contains key material.
		return nil, keyStoreInvalid("the %s block could not be parsed: %v", block.Type, err)
	}
	return k, nil
}

func keyJKS(data []byte, password string) ([]*x509.Certificate, crypto.Signer, error) {
	ks, err := loadJKS(data, password, "keyStorePassword")
	if err != nil {
		return nil, nil, err
	}
	var aliases []string
	for _, a := range ks.Aliases() {
		if ks.IsPrivateKeyEntry(a) {
			aliases = append(aliases, a)
		}
	}
	if len(aliases) != 1 {
		return nil, nil, keyStoreInvalid("the JKS key store holds %d private-key entries; exactly one is expected", len(aliases))
	}
	entry, err := ks.GetPrivateKeyEntry(aliases[0], []byte(password))
	if err != nil {
		return nil, nil, wrongPassword("JKS private-key entry", "keyStorePassword")
	}
	key, err := x509.ParsePKCS8PrivateKey(entry.PrivateKey)
	if err != nil {
		return nil, nil, keyStoreInvalid("the JKS private key could not be parsed: %v", err)
	}
	var chain []*x509.Certificate
	for i, c := range entry.CertificateChain {
		cert, err := x509.ParseCertificate(c.Content)
		if err != nil {
			return nil, nil, malformed("JKS chain certificate %d is not valid X.509: %v", i+1, err)
		}
		chain = append(chain, cert)
	}
	signer, err := asSigner(key)
	return chain, signer, err
}

// asSigner accepts the private key types the gateway can present.
func asSigner(k any) (crypto.Signer, error) {
	switch key := k.(type) {
	case *rsa.PrivateKey:
		return key, nil
	case *ecdsa.PrivateKey:
		return key, nil
	case ed25519.PrivateKey:
		return key, nil
	}
	return nil, Invalid(CodeUnsupportedKey, "Unsupported key", "the key store's %T key is not supported; use RSA (>= %d bits), ECDSA or Ed25519", k, MinRSABits)
}
