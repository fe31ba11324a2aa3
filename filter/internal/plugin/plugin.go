// Package plugin holds certgate's proxy-wasm contexts: the VM context, the
// plugin (root) context that reads configuration, and the per-request HTTP
// context.
package plugin

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

type vmContext struct {
	types.DefaultVMContext
}

// NewVMContext returns the filter's VM context.
func NewVMContext() types.VMContext { return &vmContext{} }

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(contextID uint32) types.PluginContext {
	return &pluginContext{}
}

type pluginContext struct {
	types.DefaultPluginContext
	config Config
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
	proxywasm.LogInfof("certgate: started (certificate header %q)", cfg.CertHeader)
	return types.OnPluginStartStatusOK
}

// NewHttpContext implements types.PluginContext.
func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return &httpContext{plugin: p}
}

type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
}

// OnHttpRequestHeaders implements types.HttpContext.
func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	return types.ActionContinue
}
