package plugin

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/certgate/certgate/filter/internal/certheader"
	"github.com/certgate/certgate/filter/internal/jwt"
	"github.com/certgate/certgate/filter/internal/x509lite"
)

// clientCert is what the filter learned about one presented certificate:
// its fingerprint and, once the DER was seen, the parsed fields the
// CA-issued path needs. It depends only on the certificate, never on the
// snapshot, so it is cached across generations.
type clientCert struct {
	fp    [32]byte
	fpHex string
	// derTried is true once the DER was looked for (cert is nil if absent or unparsable).
	derTried bool
	cert     *x509lite.Certificate
	// akiHex and issuerHashHex locate the issuing CA's record.
	akiHex, issuerHashHex string
}

func newClientCert(fp [32]byte) *clientCert {
	return &clientCert{fp: fp, fpHex: hex.EncodeToString(fp[:])}
}

// setDER parses der (whose SHA-256 must be fp) and records the CA lookup keys.
func (c *clientCert) setDER(der []byte) {
	c.derTried = true
	if der == nil || sha256.Sum256(der) != c.fp {
		return
	}
	cert, err := x509lite.Parse(der)
	if err != nil {
		return
	}
	c.cert = cert
	if len(cert.AuthorityKeyID) > 0 {
		c.akiHex = hex.EncodeToString(cert.AuthorityKeyID)
	}
	sum := sha256.Sum256(cert.Issuer)
	c.issuerHashHex = hex.EncodeToString(sum[:])
}

// decodeHeaderCert decodes a certificate header value into a clientCert (nil when it is not a certificate).
func decodeHeaderCert(v string) *clientCert {
	hc, err := certheader.Decode(v)
	if err != nil {
		return nil
	}
	c := newClientCert(hc.Fingerprint)
	if hc.DER != nil {
		c.setDER(hc.DER)
	}
	c.derTried = true // a header carries no more than it carried
	return c
}

// certCache maps an input string (Envoy's peer digest, or a certificate
// header value) to its clientCert, so a returning client costs neither a
// base64/percent decode, a SHA-256 nor an X.509 parse. Keyed by FNV-64 with
// a full-string compare; bounded FIFO ring, so memory stays flat. Negative
// results (undecodable headers) are cached too.
type certCache struct {
	index map[uint64]int32
	ring  []certEntry
	next  int
}

type certEntry struct {
	used bool
	hash uint64
	key  string
	cert *clientCert
}

func newCertCache(size int) *certCache {
	return &certCache{index: make(map[uint64]int32, size), ring: make([]certEntry, size)}
}

func (c *certCache) get(key string) (*clientCert, bool) {
	if len(c.ring) == 0 {
		return nil, false
	}
	i, ok := c.index[jwt.Hash(key)]
	if !ok || int(i) >= len(c.ring) || !jwt.Equal(c.ring[i].key, key) {
		return nil, false
	}
	return c.ring[i].cert, true
}

func (c *certCache) put(key string, cert *clientCert) {
	if len(c.ring) == 0 {
		return
	}
	h := jwt.Hash(key)
	if i, ok := c.index[h]; ok && int(i) < len(c.ring) {
		c.ring[i].key, c.ring[i].cert = key, cert
		return
	}
	e := &c.ring[c.next]
	if e.used {
		delete(c.index, e.hash)
	}
	*e = certEntry{used: true, hash: h, key: key, cert: cert}
	c.index[h] = int32(c.next)
	c.next = (c.next + 1) % len(c.ring)
}

// certCacheSize bounds each certificate cache (an entry holds a parsed DER, ~1–2 KiB).
const certCacheSize = 512
