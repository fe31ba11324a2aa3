package plugin

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/certgate/certgate/filter/internal/jwt"
	"github.com/certgate/certgate/filter/internal/throttle"
	"github.com/certgate/certgate/shared"
)

// pluginContext is one plugin instance per VM (Envoy worker).
type pluginContext struct {
	types.DefaultPluginContext
	config  Config
	metrics *metrics
	tokens  *jwt.Cache
	caOK    *fpCache
	// peerCerts and headerCerts cache decoded certificates by Envoy digest / header value.
	peerCerts, headerCerts *certCache
	limiter                throttle.Limiter
	store                  store
	// identity are the identity header names (prefix + suffix).
	identity [numIdentity]string
	// sync is nil when no manager cluster is configured.
	sync *poller
	// ctxPool holds finished HTTP contexts for reuse (ctxpool.go).
	ctxPool []*httpContext
	// scratch formats numbers for header values the host copies at once.
	scratch [24]byte
}

// OnPluginStart implements types.PluginContext.
func (p *pluginContext) OnPluginStart(pluginConfigurationSize int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("certgate: reading plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCriticalf("certgate: invalid plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.config = cfg
	p.metrics = newMetrics()
	p.tokens = jwt.NewCache(cfg.TokenCacheSize)
	p.caOK = newFPCache(1024)
	p.store.cache = newRecordCache(recordCacheSize)
	p.store.view = view{}
	p.peerCerts = newCertCache(certCacheSize)
	p.headerCerts = newCertCache(certCacheSize)
	p.identity = identityHeaders(cfg.IdentityPrefix)
	p.limiter = throttle.Limiter{KV: sharedKV{}, Now: nowNanos, LockKey: shared.KeyRateLimitLock}
	throttle.InitLock(sharedKV{}, shared.KeyRateLimitLock)
	if cfg.Sync.Cluster != "" {
		p.sync = newPoller(cfg.Sync)
		if cfg.Sync.Token == "" {
			proxywasm.LogWarnf("certgate: sync.token is empty: the manager will refuse the long-poll")
		}
		if err := proxywasm.SetTickPeriodMilliSeconds(uint32(cfg.Sync.TickMillis)); err != nil {
			proxywasm.LogCriticalf("certgate: cannot set the sync tick: %v", err)
			return types.OnPluginStartStatusFailed
		}
	}
	pinStartupAllocs()
	proxywasm.LogInfof("certgate: started (certificate header %q, fail mode %s, throttle key %s)",
		cfg.CertHeader, cfg.FailMode, cfg.ThrottleKey)
	return types.OnPluginStartStatusOK
}

// OnTick implements types.PluginContext.
func (p *pluginContext) OnTick() {
	if p.sync != nil {
		p.sync.tick()
	}
	releaseHostAllocs() // see hostmem_tinygo.go; each request does the same, so callouts' buffers go too
}

// NewHttpContext implements types.PluginContext.
func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return p.getHttpContext()
}
