package plugin

import (
	"github.com/certgate/certgate/filter/internal/precedence"
	"github.com/certgate/certgate/filter/internal/throttle"
	"github.com/certgate/certgate/shared"
)

// throttle applies the caller's tier (certificate tier keyed by CN or
// fingerprint, or the API's token tier keyed by client id) and then the
// API-level policy; the tighter result wins.
func (h *httpContext) throttle(m precedence.Method) throttle.Result {
	res := throttle.Result{Allowed: true}
	var key, tierName string
	switch m {
	case precedence.MutualSSL, precedence.Both:
		tierName = h.tier
		if h.plugin.config.ThrottleKey == ThrottleByFingerprint || h.cn == "" {
			key = shared.ThrottleKeyFingerprint(h.fpHex, h.apiID)
		} else {
			key = shared.ThrottleKeyCN(h.cn, h.apiID)
		}
	case precedence.OAuth2:
		tierName = h.api.TokenTier
		key = shared.ThrottleKeyClient(h.clientID, h.apiID)
	}
	if tierName != "" {
		if tier, ok := h.lookupTier(tierName); ok {
			res = h.take(key, tier)
			if !res.Allowed {
				return res
			}
		}
	}
	if h.api.Policy != "" {
		if tier, ok := h.lookupTier(h.api.Policy); ok {
			res = throttle.Tighter(res, h.take(shared.ThrottleKeyAPI(h.apiID), tier))
		}
	}
	return res
}

func (h *httpContext) take(key string, tier shared.Tier) throttle.Result {
	p := h.plugin
	r := p.limiter.Take(shared.KeyRateLimit(key), tier)
	if r.Retries > 0 {
		p.metrics.casRetries.inc(uint64(r.Retries))
	}
	if r.Contended {
		p.metrics.casExhausted.inc(1)
	}
	return r
}

// lookupTier reads a tier; an unknown tier name imposes no limit.
func (h *httpContext) lookupTier(name string) (shared.Tier, bool) {
	rec, ok := h.plugin.store.Record(shared.KeyTier(name))
	if !ok {
		return shared.Tier{}, false
	}
	t, err := shared.DecodeTier(rec)
	if err != nil {
		return shared.Tier{}, false
	}
	t.Name = name
	return t, true
}
