// Package plugin holds certgate's proxy-wasm contexts: the VM context, the
// plugin (root) context that reads configuration, and the per-request HTTP
// context that authenticates, throttles and forwards or denies. Pure logic
// lives in sibling packages (route, precedence, certheader, x509lite, jwt,
// throttle, hop); this package wires them to the SDK, one file per concern.
package plugin

import (
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
