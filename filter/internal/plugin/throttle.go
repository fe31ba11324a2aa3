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
	var tierName string
	switch m {
	case precedence.MutualSSL, precedence.Both:
		tierName = h.tier
	case precedence.OAuth2:
		tierName = h.api.TokenTier
	}
	if tierName != "" {
		if tier, ok := h.plugin.store.tier(tierName); ok {
			res = h.take(h.callerCounterKey(m), tier)
			if !res.Allowed {
				return res
			}
		}
	}
	if h.api.Policy != "" {
		if tier, ok := h.plugin.store.tier(h.api.Policy); ok {
			res = throttle.Tighter(res, h.take(shared.KeyRateLimit(shared.ThrottleKeyAPI(h.apiID)), tier))
		}
	}
	return res
}

// callerCounterKey is the shared-data key of the caller's throttle counter
// (seed 002: `<CN>_<API_IDENTIFIER>` by default). For a pinned certificate
// it is built once per generation and kept with the pinned record.
func (h *httpContext) callerCounterKey(m precedence.Method) string {
	if m == precedence.OAuth2 {
		return shared.KeyRateLimit(shared.ThrottleKeyClient(h.clientID, h.apiID))
	}
	if h.pin != nil && h.pin.rlKey != "" {
		return h.pin.rlKey
	}
	var key string
	if h.plugin.config.ThrottleKey == ThrottleByFingerprint || h.cn == "" {
		key = shared.KeyRateLimit(shared.ThrottleKeyFingerprint(h.fpHex, h.apiID))
	} else {
		key = shared.KeyRateLimit(shared.ThrottleKeyCN(h.cn, h.apiID))
	}
	if h.pin != nil {
		h.pin.rlKey = key
	}
	return key
}

// take spends one request on the counter at key (a full shared-data key).
func (h *httpContext) take(key string, tier shared.Tier) throttle.Result {
	p := h.plugin
	r := p.limiter.TakeAt(key, tier, h.now) // the request's clock read: one host call less
	if r.Retries > 0 {
		p.metrics.casRetries.inc(uint64(r.Retries))
	}
	if r.Contended {
		p.metrics.casExhausted.inc(1)
	}
	return r
}
