package plugin

import (
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"github.com/certgate/certgate/filter/internal/certheader"
	"github.com/certgate/certgate/filter/internal/hop"
	"github.com/certgate/certgate/filter/internal/jwt"
	"github.com/certgate/certgate/filter/internal/precedence"
	"github.com/certgate/certgate/shared"
)

// Cert implements precedence.Evaluator: the client certificate's outcome
// for this API (evaluated once).
func (h *httpContext) Cert() precedence.Outcome {
	if !h.certDone {
		h.certDone = true
		h.certOutcome = h.evalCert()
	}
	return h.certOutcome
}

// Token implements precedence.Evaluator: the bearer token's outcome for this API (evaluated once).
func (h *httpContext) Token() precedence.Outcome {
	if !h.tokenDone {
		h.tokenDone = true
		h.tokenOutcome = h.evalToken()
	}
	return h.tokenOutcome
}

// Properties read on every mTLS request: their paths are serialized once.
var (
	propPeerDigest    = newProperty(shared.PropPeerDigest)
	propPeerCertValid = newProperty(shared.PropPeerCertValid)
	propSourceAddress = newProperty(shared.PropSourceAddress)
)

func boolProperty(p *property) (value, present bool) {
	v, ok := p.get()
	if !ok || len(v) == 0 {
		return false, false
	}
	return v[0] != 0, true
}

// evalCert finds the client certificate — from a trusted hop's header,
// else from the TLS connection — and checks it against this API.
func (h *httpContext) evalCert() precedence.Outcome {
	p := h.plugin
	cfg := &p.config
	// Envoy reports connection.sha256_peer_certificate_digest only when the
	// peer presented a certificate (connection.mtls), so one read answers both.
	var peer *clientCert
	if d, ok := propPeerDigest.get(); ok {
		key := string(d)
		var hit bool
		if peer, hit = p.peerCerts.get(key); !hit {
			if fp, ok := hop.ParseFingerprint(key); ok {
				peer = newClientCert(fp)
			}
			p.peerCerts.put(key, peer)
		}
	}
	if h.hasCertHeader {
		var src []byte
		if !cfg.Hops.Empty() {
			src, _ = propSourceAddress.get()
		}
		if cfg.Hops.SourceTrusted(string(src)) || (peer != nil && cfg.Hops.PeerTrusted(peer.fp)) {
			c, hit := p.headerCerts.get(h.certHeader)
			if !hit {
				c = decodeHeaderCert(h.certHeader)
				p.headerCerts.put(h.certHeader, c)
			}
			if c == nil {
				proxywasm.LogDebugf("certgate: %s header from a trusted hop is not a certificate", cfg.CertHeader)
				return precedence.Invalid
			}
			return h.checkCert(c, false)
		}
		p.metrics.untrusted.inc(1)
		proxywasm.LogWarnf("certgate: ignored %s header from untrusted hop %q", cfg.CertHeader, string(src))
	}
	if peer == nil || cfg.Hops.PeerTrusted(peer.fp) { // a load balancer's own certificate is not a client credential
		return precedence.Absent
	}
	return h.checkCert(peer, true)
}

// checkCert decides whether certificate c is valid for the API: pinned for
// the API, or issued by one of its CAs and not revoked, inside its validity
// window.
func (h *httpContext) checkCert(c *clientCert, fromTLS bool) precedence.Outcome {
	st := &h.plugin.store
	nowSec := h.now / 1e9
	h.fpHex = c.fpHex
	// Pinned records are never published for revoked fingerprints (shared.Snapshot.Entries).
	pc := st.pinnedCert(h.entry, c)
	if pc.present {
		if pc.corrupt {
			return precedence.Invalid
		}
		if pc.cc.NotAfter != 0 && nowSec >= pc.cc.NotAfter {
			proxywasm.LogDebugf("certgate: certificate %s (%s) expired", c.fpHex, pc.cc.Alias)
			return precedence.Invalid
		}
		h.cn, h.alias, h.tier = pc.cc.CN, pc.cc.Alias, pc.cc.Tier
		h.pin = pc
		return precedence.Valid
	}
	return h.checkIssued(c, pc, fromTLS, nowSec)
}

// checkIssued accepts a certificate issued by a CA uploaded for the API.
// The chain is trusted when Envoy says so (connection.peer_certificate_valid);
// otherwise — older Envoy, or a header certificate — the filter verifies the
// leaf's signature with the CA's public key itself (cached per fingerprint
// and generation).
// The revocation mark and the CA record are looked up once per certificate,
// API and generation (kept in the view entry pc); the validity windows and
// Envoy's chain verdict are checked on every request.
func (h *httpContext) checkIssued(c *clientCert, pc *pinnedCert, fromTLS bool, nowSec int64) precedence.Outcome {
	st := &h.plugin.store
	if !pc.revokedKnown {
		_, pc.revoked = st.Record(shared.KeyRevoked(c.fpHex))
		pc.revokedKnown = true
	}
	if pc.revoked {
		proxywasm.LogDebugf("certgate: certificate %s is revoked", c.fpHex)
		return precedence.Invalid
	}
	envoyValid, envoySays := false, false
	if fromTLS {
		envoyValid, envoySays = boolProperty(&propPeerCertValid)
		if envoySays && !envoyValid {
			return precedence.Invalid
		}
		if !c.derTried {
			var der []byte
			if pemProp, err := proxywasm.GetProperty(shared.PropPeerCertificate); err == nil {
				if hc, err := certheader.Decode(string(pemProp)); err == nil {
					der = hc.DER
				}
			}
			c.setDER(der) // checks the DER hashes to the digest Envoy reported
		}
	}
	cert := c.cert
	if cert == nil || nowSec < cert.NotBefore || nowSec >= cert.NotAfter {
		return precedence.Invalid
	}
	if !pc.caKnown {
		pc.ca = h.issuingCA(c)
		pc.caKnown = true
	}
	ca := pc.ca
	if ca == nil || (ca.NotAfter != 0 && nowSec >= ca.NotAfter) {
		return precedence.Invalid
	}
	if !(envoySays && envoyValid) && !h.plugin.caOK.has(c.fp, st.stamp) {
		if len(ca.PublicKey) == 0 || cert.CheckSignatureFrom(ca.PublicKey) != nil {
			proxywasm.LogDebugf("certgate: certificate %s does not verify against CA %s", c.fpHex, ca.Alias)
			return precedence.Invalid
		}
		h.plugin.caOK.put(c.fp, st.stamp)
	}
	h.cn, h.alias, h.tier = cert.CN, ca.Alias, ca.Tier
	h.pin = pc // caches the throttle counter key too
	return precedence.Valid
}

// issuingCA reads the record of the CA that issued c for the API, by
// authority key id, else by issuer name hash (nil when none or corrupt).
func (h *httpContext) issuingCA(c *clientCert) *shared.CACert {
	st := &h.plugin.store
	var rec []byte
	ok := false
	if c.akiHex != "" {
		rec, ok = st.Record(shared.KeyCABySKI(h.apiID, c.akiHex))
	}
	if !ok {
		rec, ok = st.Record(shared.KeyCABySubject(h.apiID, c.issuerHashHex))
	}
	if !ok {
		return nil
	}
	ca, err := shared.DecodeCACert(rec)
	if err != nil {
		return nil
	}
	return &ca
}

// evalToken checks `Authorization: Bearer <JWT>` for this API.
func (h *httpContext) evalToken() precedence.Outcome {
	p := h.plugin
	v, err := proxywasm.GetHttpRequestHeader(shared.HeaderAuthorization)
	if err != nil || strings.TrimSpace(v) == "" {
		return precedence.Absent
	}
	if len(v) < 7 || !strings.EqualFold(v[:7], "bearer ") {
		return precedence.Invalid // a credential the filter cannot accept (Basic, …)
	}
	tok := strings.TrimSpace(v[7:])
	claims, hit := p.tokens.Get(tok, p.store.stamp)
	if hit {
		p.metrics.tokenHits.inc(1)
	} else {
		p.metrics.tokenMisses.inc(1)
		c, err := jwt.Verify(tok, h.issuer)
		if err != nil {
			proxywasm.LogDebugf("certgate: bearer token rejected: %v", err)
			return precedence.Invalid
		}
		p.tokens.Put(tok, p.store.stamp, c)
		claims = &c
	}
	if err := claims.CheckTime(h.now/1e9, p.config.ClockSkew); err != nil {
		proxywasm.LogDebugf("certgate: bearer token rejected: %v", err)
		return precedence.Invalid
	}
	if !claims.HasAudience(h.apiID, h.api.Audience) {
		proxywasm.LogDebugf("certgate: bearer token rejected: %v", jwt.ErrAudience)
		return precedence.Invalid
	}
	h.clientID = claims.ClientID
	return precedence.Valid
}

// issuer reads a trusted issuer's keys from shared data.
func (h *httpContext) issuer(iss string) (shared.Issuer, bool) {
	rec, ok := h.plugin.store.Record(shared.KeyIssuer(iss))
	if !ok {
		return shared.Issuer{}, false
	}
	is, err := shared.DecodeIssuer(rec)
	if err != nil {
		return shared.Issuer{}, false
	}
	is.Issuer = iss
	return is, true
}
