// Package testcerts generates certificates, keystores and keys at test time
// for the manager's tests and benchmarks. It never holds committed keys.
package testcerts

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// Spec describes a certificate to generate. Zero values give a valid
// self-signed ECDSA P-256 leaf valid from an hour ago for a year.
type Spec struct {
	CommonName  string
	NotBefore   time.Time
	NotAfter    time.Time
	Key         crypto.Signer // subject key; default shared P-256 key
	PublicKey   any           // overrides Key's public key (signed by Parent)
	IsCA        bool
	ExtKeyUsage []x509.ExtKeyUsage
	Parent      *Cert // issuer; nil for self-signed
}

// Cert is a generated certificate with its key.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

var (
	serial  atomic.Int64
	keyOnce sync.Once
	ecKey   *ecdsa.PrivateKey
	rsaMu   sync.Mutex
	rsaKeys = map[int]*rsa.PrivateKey{}
)

// ECKey returns a process-wide P-256 key (fast certificate generation).
func ECKey() *ecdsa.PrivateKey {
	keyOnce.Do(func() { ecKey = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	return ecKey
}

// RSAKey returns a process-wide RSA key of the given size.
func RSAKey(bits int) *rsa.PrivateKey {
	rsaMu.Lock()
	defer rsaMu.Unlock()
	if k, ok := rsaKeys[bits]; ok {
		return k
	}
	k := must(rsa.GenerateKey(rand.Reader, bits))
	rsaKeys[bits] = k
	return k
}

// New generates a certificate from spec; it panics on failure (tests only).
func New(spec Spec) *Cert {
	if spec.CommonName == "" {
		spec.CommonName = "client.example.com"
	}
	if spec.NotBefore.IsZero() {
		spec.NotBefore = time.Now().Add(-time.Hour)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = spec.NotBefore.Add(365 * 24 * time.Hour)
	}
	if spec.Key == nil {
		spec.Key = ECKey()
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano() + serial.Add(1)),
		Subject:               pkix.Name{CommonName: spec.CommonName, Organization: []string{"certgate tests"}},
		NotBefore:             spec.NotBefore,
		NotAfter:              spec.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           spec.ExtKeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  spec.IsCA,
	}
	if spec.IsCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	parent, signer := tmpl, spec.Key
	if spec.Parent != nil {
		parent, signer = spec.Parent.Cert, spec.Parent.Key
	}
	pub := spec.PublicKey
	if pub == nil {
		pub = spec.Key.Public()
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer))
	return &Cert{Cert: must(x509.ParseCertificate(der)), Key: spec.Key}
}

// PEM encodes DER certificates as PEM.
func PEM(ders ...[]byte) []byte {
	var buf bytes.Buffer
	for _, der := range ders {
		must(0, pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	return buf.Bytes()
}

// KeyPEM encodes a private key as PKCS#8 PEM.
func KeyPEM(key crypto.Signer) []byte {
	der := must(x509.MarshalPKCS8PrivateKey(key))
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// KeyDER encodes a private key as PKCS#8 DER.
func KeyDER(key crypto.Signer) []byte { return must(x509.MarshalPKCS8PrivateKey(key)) }

// JKS builds a Java KeyStore with one trusted-certificate entry per cert.
func JKS(password string, certs ...*x509.Certificate) []byte {
	ks := keystore.New(keystore.WithOrderedAliases())
	for i, c := range certs {
		must(0, ks.SetTrustedCertificateEntry(string(rune('a'+i))+"-cert", keystore.TrustedCertificateEntry{
			CreationTime: time.Now(),
			Certificate:  keystore.Certificate{Type: "X509", Content: c.Raw},
		}))
	}
	var buf bytes.Buffer
	must(0, ks.Store(&buf, []byte(password)))
	return buf.Bytes()
}

// JKSWithKey builds a Java KeyStore holding a private-key entry.
func JKSWithKey(password string, c *Cert) []byte {
	ks := keystore.New()
	must(0, ks.SetPrivateKeyEntry("key", keystore.PrivateKeyEntry{
		CreationTime:     time.Now(),
		PrivateKey:       KeyDER(c.Key),
		CertificateChain: []keystore.Certificate{{Type: "X509", Content: c.Cert.Raw}},
	}, []byte(password)))
	var buf bytes.Buffer
	must(0, ks.Store(&buf, []byte(password)))
	return buf.Bytes()
}

// PKCS12Trust builds a PKCS#12 trust store holding certs.
func PKCS12Trust(password string, certs ...*x509.Certificate) []byte {
	return must(pkcs12.Modern.EncodeTrustStore(certs, password))
}

// PKCS12WithKey builds a PKCS#12 file holding a key and its certificate.
func PKCS12WithKey(password string, c *Cert) []byte {
	return must(pkcs12.Modern.Encode(c.Key, c.Cert, nil, password))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic("testcerts: " + err.Error())
	}
	return v
}

// NewServer issues a TLS server certificate for ip, signed by ca.
func NewServer(ca *Cert, ip net.IP) *Cert {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano() + serial.Add(1)),
		Subject:      pkix.Name{CommonName: ip.String()},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{ip},
	}
	key := ECKey()
	der := must(x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key))
	return &Cert{Cert: must(x509.ParseCertificate(der)), Key: key}
}
