package plugin

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"github.com/certgate/certgate/filter/internal/precedence"
)

// outcome of a request, for metrics.
type outcome uint8

const (
	outcomeAllowed outcome = iota
	outcomeMissing
	outcomeInvalid
	outcomeThrottled
	outcomeNoData
	outcomeNoRoute
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"allowed", "missing", "invalid", "throttled", "no_data", "no_route"}

// maxAPIMetrics bounds the APIs with their own counters (route-matched APIs
// only, so the set is what the manager published; the bound is a backstop).
const maxAPIMetrics = 4096

// lazyCounter is a counter defined on first use.
type lazyCounter struct {
	name    string
	counter proxywasm.MetricCounter
	defined bool
}

func (c *lazyCounter) inc(n uint64) {
	if !c.defined {
		c.counter = proxywasm.DefineCounterMetric(c.name)
		c.defined = true
	}
	c.counter.Increment(n)
}

type apiCounters [numOutcomes]lazyCounter

// metrics are the filter's proxy-wasm counters, defined lazily and cached
// per VM (no allocation per request once defined). Envoy shows them in its
// stats (prefixed wasmcustom.):
//
//	certgate.api.<api id>.<outcome>        requests per API and outcome
//	certgate.requests.<outcome>            requests matching no API (no_data, no_route)
//	certgate.auth.<method>                 successful authentications by method
//	certgate.throttle.cas_retries          shared-data CAS retries
//	certgate.throttle.cas_exhausted        decisions refused after the retry bound
//	certgate.cert_header.untrusted         certificate headers ignored (untrusted hop)
//	certgate.jwt.cache_hits / cache_misses verified-token cache
type metrics struct {
	requests     [numOutcomes]lazyCounter
	perAPI       map[string]*apiCounters
	authMutual   lazyCounter
	authOAuth2   lazyCounter
	authBoth     lazyCounter
	casRetries   lazyCounter
	casExhausted lazyCounter
	untrusted    lazyCounter
	tokenHits    lazyCounter
	tokenMisses  lazyCounter
}

func newMetrics() *metrics {
	m := &metrics{perAPI: map[string]*apiCounters{}}
	for i := range m.requests {
		m.requests[i].name = "certgate.requests." + outcomeNames[i]
	}
	m.authMutual.name = "certgate.auth.mutualssl"
	m.authOAuth2.name = "certgate.auth.oauth2"
	m.authBoth.name = "certgate.auth.mutualssl_oauth2"
	m.casRetries.name = "certgate.throttle.cas_retries"
	m.casExhausted.name = "certgate.throttle.cas_exhausted"
	m.untrusted.name = "certgate.cert_header.untrusted"
	m.tokenHits.name = "certgate.jwt.cache_hits"
	m.tokenMisses.name = "certgate.jwt.cache_misses"
	return m
}

// request counts one decided request: per API when it matched one
// (Envoy's stats sum them), else in certgate.requests.<outcome>.
func (m *metrics) request(apiID string, o outcome) {
	if o >= numOutcomes {
		return
	}
	if apiID == "" {
		m.requests[o].inc(1)
		return
	}
	c, ok := m.perAPI[apiID]
	if !ok {
		if len(m.perAPI) >= maxAPIMetrics {
			return
		}
		c = new(apiCounters)
		for i := range c {
			c[i].name = "certgate.api." + apiID + "." + outcomeNames[i]
		}
		m.perAPI[apiID] = c
	}
	c[o].inc(1)
}

// authMethod counts a successful authentication by method.
func (m *metrics) authMethod(method precedence.Method) {
	switch method {
	case precedence.MutualSSL:
		m.authMutual.inc(1)
	case precedence.OAuth2:
		m.authOAuth2.inc(1)
	case precedence.Both:
		m.authBoth.inc(1)
	}
}
