package plugin

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/certgate/certgate/filter/internal/precedence"
	"github.com/certgate/certgate/filter/internal/route"
	"github.com/certgate/certgate/filter/internal/throttle"
	"github.com/certgate/certgate/shared"
)

// httpContext decides one request. The flow (DESIGN.md "Request path"):
// take the certificate header and identity headers out, load the active
// generation, match the API, run the precedence rules (which evaluate the
// certificate and/or token lazily), throttle, then forward with identity
// headers or deny with a JSON body and ActionPause.
type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext

	now   int64        // Unix nanoseconds, read once per request
	entry *route.Entry // the matched API (cached per generation, never modified)
	api   *shared.API  // &entry.API
	apiID string
	// pin is the pinned record of the accepted certificate (nil otherwise).
	pin *pinnedCert

	certHeader    string
	hasCertHeader bool

	certDone    bool
	certOutcome precedence.Outcome
	cn, alias   string
	tier        string
	fpHex       string

	tokenDone    bool
	tokenOutcome precedence.Outcome
	clientID     string

	rl      throttle.Result
	hasRL   bool
	replied bool
}

// OnHttpRequestHeaders implements types.HttpContext.
func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	a := h.onRequestHeaders()
	releaseHostAllocs()
	return a
}

func (h *httpContext) onRequestHeaders() types.Action {
	p := h.plugin
	cfg := &p.config
	h.now = nowNanos()

	// Envoy sanitises only its own XFCC: a custom certificate header must
	// never reach the upstream, whatever happens next.
	if v, err := proxywasm.GetHttpRequestHeader(cfg.CertHeader); err == nil {
		h.certHeader, h.hasCertHeader = v, true
		_ = proxywasm.RemoveHttpRequestHeader(cfg.CertHeader)
	}
	if !p.store.load() {
		p.metrics.request("", outcomeNoData)
		if cfg.FailMode == FailOpen {
			h.stripIdentityHeaders()
			return types.ActionContinue
		}
		return h.deny(503, shared.CodeNoData, shared.MsgNoData, "The gateway has not loaded its security data yet", nil)
	}
	path, err := proxywasm.GetHttpRequestHeader(":path")
	if err != nil {
		path = ""
	}
	m, ok := route.FindIn(path, &p.store)
	if !ok {
		if cfg.DenyUnknownRoutes {
			p.metrics.request("", outcomeNoRoute)
			return h.deny(404, shared.CodeNotFound, shared.MsgNotFound, "No API is published at this path", nil)
		}
		h.stripIdentityHeaders() // the upstream is not guarded, but identity headers are still never forwarded
		return types.ActionContinue
	}
	h.entry, h.api, h.apiID = m.Entry, &m.Entry.API, m.Entry.ID

	d := precedence.Decide(h.api.Security, h)
	if !d.Allowed() {
		return h.denyAuth(d.Code)
	}

	r := h.throttle(d.Method)
	if !r.Allowed {
		p.metrics.request(h.apiID, outcomeThrottled)
		return h.deny(429, shared.CodeThrottled, shared.MsgThrottled,
			"You have exceeded your quota", rateLimitHeaders(r, true))
	}
	if r.Limit != 0 {
		h.rl, h.hasRL = r, true
	}
	h.addIdentityHeaders(d.Method)
	if cfg.StripAuthorization {
		_ = proxywasm.RemoveHttpRequestHeader(shared.HeaderAuthorization)
	}
	p.metrics.request(h.apiID, outcomeAllowed)
	p.metrics.authMethod(d.Method)
	return types.ActionContinue
}

// OnHttpResponseHeaders implements types.HttpContext: allowed responses carry the RateLimit headers.
func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if h.hasRL && !h.replied {
		h.setRateLimitResponseHeaders()
	}
	releaseHostAllocs()
	return types.ActionContinue
}

// stripIdentityHeaders removes inbound copies of every identity header
// (denied requests never go upstream, so only forwarded ones need it).
func (h *httpContext) stripIdentityHeaders() {
	for _, name := range h.plugin.identity {
		_ = proxywasm.RemoveHttpRequestHeader(name)
	}
}

// addIdentityHeaders tells the upstream who called (username = CN, seed
// 002). Every identity header is either replaced (which drops inbound
// copies) or removed, so a spoofed one never reaches the upstream.
func (h *httpContext) addIdentityHeaders(m precedence.Method) {
	id := &h.plugin.identity
	set := func(name, v string) {
		if v == "" {
			_ = proxywasm.RemoveHttpRequestHeader(name)
			return
		}
		_ = proxywasm.ReplaceHttpRequestHeader(name, sanitizeHeaderValue(v))
	}
	set(id[idAuthMethod], m.String())
	set(id[idAPI], h.apiID)
	cn, alias, client := "", "", ""
	if m == precedence.MutualSSL || m == precedence.Both {
		cn, alias = h.cn, h.alias
	}
	if m == precedence.OAuth2 || m == precedence.Both {
		client = h.clientID
	}
	set(id[idCN], cn)
	set(id[idAlias], alias)
	set(id[idClientID], client)
	user := cn
	if user == "" {
		user = client
	}
	set(id[idUser], user)
}

// sanitizeHeaderValue drops control characters (a CN could carry CR/LF).
func sanitizeHeaderValue(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			b := make([]byte, 0, len(v))
			for j := 0; j < len(v); j++ {
				if c := v[j]; !(c < 0x20 && c != '\t' || c == 0x7f) {
					b = append(b, c)
				}
			}
			return string(b)
		}
	}
	return v
}
