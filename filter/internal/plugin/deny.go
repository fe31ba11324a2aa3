package plugin

import (
	"strconv"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/certgate/certgate/filter/internal/throttle"
	"github.com/certgate/certgate/shared"
)

// deny answers with a JSON error body {code, message, description} and
// pauses the request (coraza's handleInterruption pattern).
func (h *httpContext) deny(status uint32, code int, message, description string, extra [][2]string) types.Action {
	hdrs := make([][2]string, 0, 1+len(extra))
	hdrs = append(hdrs, [2]string{"content-type", "application/json; charset=UTF-8"})
	hdrs = append(hdrs, extra...)
	if err := proxywasm.SendHttpResponse(status, hdrs, shared.ErrorBody(code, message, description), -1); err != nil {
		proxywasm.LogErrorf("certgate: sending local reply %d: %v", status, err)
	}
	h.replied = true
	return types.ActionPause
}

// denyAuth answers 401 for a failed authentication.
func (h *httpContext) denyAuth(code int) types.Action {
	var extra [][2]string
	if h.api.Security&(shared.SecOAuth2|shared.SecOAuth2Mandatory) != 0 || h.api.Security&(shared.SecMutualSSL|shared.SecMutualSSLMandatory) == 0 {
		extra = [][2]string{{"www-authenticate", `Bearer realm="certgate"`}}
	}
	if code == shared.CodeMissingCredentials {
		h.plugin.metrics.request(h.apiID, outcomeMissing)
		return h.deny(401, code, shared.MsgMissingCredentials,
			"Make sure your API invocation call presents a client certificate or a header: 'Authorization: Bearer ***'", extra)
	}
	h.plugin.metrics.request(h.apiID, outcomeInvalid)
	return h.deny(401, code, shared.MsgInvalidCredentials,
		"Invalid Credentials. Make sure you have provided the correct security credentials", extra)
}

// rateLimitHeaders renders RateLimit-Limit/Remaining/Reset, plus Retry-After when refused.
func rateLimitHeaders(r throttle.Result, refused bool) [][2]string {
	out := make([][2]string, 0, 4)
	if r.Limit != 0 {
		out = append(out,
			[2]string{shared.HeaderRateLimitLimit, strconv.FormatUint(r.Limit, 10)},
			[2]string{shared.HeaderRateLimitRemaining, strconv.FormatUint(r.Remaining, 10)},
			[2]string{shared.HeaderRateLimitReset, strconv.FormatInt(r.ResetSeconds, 10)})
	}
	if refused {
		ra := r.RetryAfterSeconds
		if ra < 1 {
			ra = 1
		}
		out = append(out, [2]string{shared.HeaderRetryAfter, strconv.FormatInt(ra, 10)})
	}
	return out
}

// setRateLimitResponseHeaders sets RateLimit-Limit/Remaining/Reset on an
// allowed response. The numbers are formatted into the plugin's scratch
// buffer, which the host copies during each call: no allocation.
func (h *httpContext) setRateLimitResponseHeaders() {
	p := h.plugin
	set := func(name string, b []byte) {
		_ = proxywasm.ReplaceHttpResponseHeader(name, unsafe.String(unsafe.SliceData(b), len(b)))
	}
	set(shared.HeaderRateLimitLimit, strconv.AppendUint(p.scratch[:0], h.rl.Limit, 10))
	set(shared.HeaderRateLimitRemaining, strconv.AppendUint(p.scratch[:0], h.rl.Remaining, 10))
	set(shared.HeaderRateLimitReset, strconv.AppendInt(p.scratch[:0], h.rl.ResetSeconds, 10))
}
