package wasmtest

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc is one function a host module exports to guests.
type hostFunc struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
	fn      func(v *vm, s []uint64)
}

func i32s(n int) []api.ValueType {
	t := make([]api.ValueType, n)
	for i := range t {
		t[i] = i32
	}
	return t
}

// allowedDuringStart are the host calls Envoy allows while _initialize /
// main / _start run (proxy-wasm-cpp-host WasmBase::startVm).
var allowedDuringStart = map[string]bool{
	"env.proxy_log":            true,
	"wasi.fd_write":            true,
	"wasi.args_sizes_get":      true,
	"wasi.args_get":            true,
	"wasi.environ_sizes_get":   true,
	"wasi.environ_get":         true,
	"wasi.fd_prestat_get":      true,
	"wasi.fd_prestat_dir_name": true,
	"wasi.clock_time_get":      true,
	"wasi.random_get":          true,
}

// restrictedCallError is raised (as a trap) when the module calls a host
// function Envoy does not allow during VM start.
type restrictedCallError struct{ name string }

// Error implements error.
func (e restrictedCallError) Error() string {
	return "restricted_callback: " + e.name + " called during VM start"
}

func wrap(qualified string, f func(v *vm, s []uint64)) api.GoModuleFunction {
	allowed := allowedDuringStart[qualified]
	return api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		v, _ := ctx.Value(vmCtxKey{}).(*vm)
		if v == nil {
			panic(fmt.Errorf("wasmtest: host function %s called outside a VM call", qualified))
		}
		if v.starting && !allowed {
			panic(restrictedCallError{qualified})
		}
		f(v, stack)
	})
}

// instantiateEnv builds the "env" module for one ABI version: the
// FOR_ALL_HOST_FUNCTIONS set, the version-specific functions, pthread_equal
// and emscripten_notify_memory_growth (WasmBase::registerCallbacks).
func (h *Host) instantiateEnv(ctx context.Context, abi string) (api.Module, error) {
	b := h.rt.NewHostModuleBuilder("env#" + abi)
	for _, f := range envFunctions(abi) {
		b.NewFunctionBuilder().WithGoModuleFunction(wrap("env."+f.name, f.fn), f.params, f.results).Export(f.name)
	}
	// Instantiated through the runtime rather than b.Instantiate: the import
	// resolver needs the store's own instance, not the host-module wrapper.
	compiled, err := b.Compile(ctx)
	if err != nil {
		return nil, err
	}
	return h.rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("env#"+abi))
}

func (h *Host) instantiateWASI(ctx context.Context, ns string) error {
	b := h.rt.NewHostModuleBuilder(ns)
	for _, f := range wasiFunctions() {
		b.NewFunctionBuilder().WithGoModuleFunction(wrap("wasi."+f.name, f.fn), f.params, f.results).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func envFunctions(abi string) []hostFunc {
	fs := proxyCommonFunctions()
	switch abi {
	case abi010:
		fs = append(fs, proxyABI010Functions()...)
	case abi020:
		fs = append(fs, proxyABI02Functions(false)...)
	case abi021:
		fs = append(fs, proxyABI02Functions(true)...)
	}
	fs = append(fs,
		hostFunc{"pthread_equal", i32s(2), i32s(1), func(v *vm, s []uint64) {
			if uint32(s[0]) == uint32(s[1]) {
				s[0] = 1
			} else {
				s[0] = 0
			}
		}},
		hostFunc{"emscripten_notify_memory_growth", i32s(1), nil, func(v *vm, s []uint64) {}},
	)
	return fs
}
