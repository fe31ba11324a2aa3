package wasmtest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The host functions Envoy offers come from proxy-wasm-cpp-host
// include/proxy-wasm/exports.h: FOR_ALL_HOST_FUNCTIONS (module "env",
// prefixed "proxy_"), the ABI-specific ones registered by
// WasmBase::registerCallbacks in src/wasm.cc (0.1.0: get_configuration,
// continue_request, continue_response, clear_route_cache; 0.2.0:
// continue_stream, close_stream; 0.2.1: also get_log_level), env
// pthread_equal and emscripten_notify_memory_growth, and
// FOR_ALL_WASI_FUNCTIONS under both wasi_unstable and wasi_snapshot_preview1.
// This host registers exactly those (envFunctions, wasiFunctions), so the
// checker below and the host share one list.

// requiredHTTPExports are the callbacks an HTTP filter must export for Envoy
// to drive it.
var requiredHTTPExports = []string{
	"proxy_on_context_create",
	"proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
	"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers",
	"proxy_on_done", "proxy_on_log", "proxy_on_delete",
}

type sig struct{ params, results []api.ValueType }

func i32sig(n, r int) sig { return sig{i32s(n), i32s(r)} }

// exportSignatures are the signatures Envoy looks exports up with
// (WasmBase::getFunctions; a mismatch fails the VM).
var exportSignatures = map[string]sig{
	"_initialize":                     i32sig(0, 0),
	"_start":                          i32sig(0, 0),
	"main":                            i32sig(2, 1),
	"malloc":                          i32sig(1, 1),
	"proxy_on_memory_allocate":        i32sig(1, 1),
	"proxy_abi_version_0_1_0":         i32sig(0, 0),
	"proxy_abi_version_0_2_0":         i32sig(0, 0),
	"proxy_abi_version_0_2_1":         i32sig(0, 0),
	"proxy_on_context_create":         i32sig(2, 0),
	"proxy_on_vm_start":               i32sig(2, 1),
	"proxy_on_configure":              i32sig(2, 1),
	"proxy_on_validate_configuration": i32sig(2, 1),
	"proxy_on_request_headers":        i32sig(3, 1),
	"proxy_on_request_body":           i32sig(3, 1),
	"proxy_on_request_trailers":       i32sig(2, 1),
	"proxy_on_response_headers":       i32sig(3, 1),
	"proxy_on_response_body":          i32sig(3, 1),
	"proxy_on_response_trailers":      i32sig(2, 1),
	"proxy_on_done":                   i32sig(1, 1),
	"proxy_on_log":                    i32sig(1, 0),
	"proxy_on_delete":                 i32sig(1, 0),
	"proxy_on_tick":                   i32sig(1, 0),
	"proxy_on_http_call_response":     i32sig(5, 0),
	"proxy_on_queue_ready":            i32sig(2, 0),
}

// envoyImports returns module.name -> signature of every function Envoy's
// host provides to a module of that ABI version.
func envoyImports(abi string) map[string]sig {
	m := map[string]sig{}
	for _, f := range envFunctions(abi) {
		m["env."+f.name] = sig{f.params, f.results}
	}
	for _, f := range wasiFunctions() {
		m["wasi_snapshot_preview1."+f.name] = sig{f.params, f.results}
		m["wasi_unstable."+f.name] = sig{f.params, f.results}
	}
	return m
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fmtSig(params, results []api.ValueType) string {
	n := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ",")
	}
	return "(" + n(params) + ")->(" + n(results) + ")"
}

// CheckEnvoyABI reports every way the module would fail to load or run as an
// HTTP filter in Envoy: an import Envoy's host does not provide (or with
// another signature), an imported memory/table/global, a missing or unknown
// proxy_abi_version_0_2_* export, no malloc / proxy_on_memory_allocate, no
// exported memory, a missing HTTP callback, or an export whose signature
// differs from what Envoy looks up. nil means it passes.
func CheckEnvoyABI(wasm []byte) error {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return fmt.Errorf("wasmtest: abi: not a valid module: %w", err)
	}
	var errs []error
	exports := cm.ExportedFunctions()
	abi := abiVersion(exports)
	switch abi {
	case abi020, abi021:
	case "":
		errs = append(errs, errors.New("no proxy_abi_version_0_2_* export: Envoy refuses the module (Missing or unknown Proxy-Wasm ABI version)"))
		abi = abi021
	default:
		errs = append(errs, fmt.Errorf("ABI %s: only 0.2.0 / 0.2.1 are accepted", abi))
	}
	provided := envoyImports(abi)
	var imports []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		key := mod + "." + name
		want, ok := provided[key]
		switch {
		case !ok:
			imports = append(imports, fmt.Sprintf("imports %s, which Envoy's host does not provide", key))
		case !sameTypes(want.params, f.ParamTypes()) || !sameTypes(want.results, f.ResultTypes()):
			imports = append(imports, fmt.Sprintf("imports %s with signature %s, Envoy provides %s", key,
				fmtSig(f.ParamTypes(), f.ResultTypes()), fmtSig(want.params, want.results)))
		}
	}
	sort.Strings(imports)
	for _, s := range imports {
		errs = append(errs, errors.New(s))
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		errs = append(errs, fmt.Errorf("imports memory %s.%s; Envoy provides none", mod, name))
	}
	if len(cm.ExportedMemories()) == 0 {
		errs = append(errs, errors.New("exports no memory"))
	}
	if exports["malloc"] == nil && exports["proxy_on_memory_allocate"] == nil {
		errs = append(errs, errors.New("exports neither malloc nor proxy_on_memory_allocate"))
	}
	for _, name := range requiredHTTPExports {
		if exports[name] == nil {
			errs = append(errs, fmt.Errorf("does not export %s", name))
		}
	}
	var names []string
	for name := range exports {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want, ok := exportSignatures[name]
		f := exports[name]
		if ok && (!sameTypes(want.params, f.ParamTypes()) || !sameTypes(want.results, f.ResultTypes())) {
			errs = append(errs, fmt.Errorf("exports %s with signature %s, Envoy expects %s", name,
				fmtSig(f.ParamTypes(), f.ResultTypes()), fmtSig(want.params, want.results)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("wasmtest: module fails Envoy's ABI: %w", errors.Join(errs...))
	}
	return nil
}
