package wasmtest

import (
	"strings"
	"testing"
)

// TestEnvoyABI is the ABI contract test: the built filter and the test
// filters import only what Envoy's proxy-wasm host provides (the list in
// proxy-wasm-cpp-host include/proxy-wasm/exports.h: FOR_ALL_HOST_FUNCTIONS,
// the ABI 0.2.x additions continue_stream, close_stream and get_log_level,
// and FOR_ALL_WASI_FUNCTIONS) and export what Envoy needs.
func TestEnvoyABI(t *testing.T) {
	for _, rel := range []string{"certgate-filter.wasm", "testfilters/noop.wasm", "testfilters/probe.wasm"} {
		t.Run(rel, func(t *testing.T) {
			if err := CheckEnvoyABI(MustReadBuild(t, rel)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// httpCallbacks exports every callback CheckEnvoyABI requires.
func httpCallbacks() []rawFunc {
	return []rawFunc{
		{export: "proxy_on_request_headers", params: i32n(3), results: i32n(1), body: i32Const(0)},
		{export: "proxy_on_request_body", params: i32n(3), results: i32n(1), body: i32Const(0)},
		{export: "proxy_on_request_trailers", params: i32n(2), results: i32n(1), body: i32Const(0)},
		{export: "proxy_on_response_headers", params: i32n(3), results: i32n(1), body: i32Const(0)},
		{export: "proxy_on_response_body", params: i32n(3), results: i32n(1), body: i32Const(0)},
		{export: "proxy_on_response_trailers", params: i32n(2), results: i32n(1), body: i32Const(0)},
		{export: "proxy_on_done", params: i32n(1), results: i32n(1), body: i32Const(1)},
		{export: "proxy_on_log", params: i32n(1)},
		{export: "proxy_on_delete", params: i32n(1)},
	}
}

// TestCheckEnvoyABIRejects proves the checker fails on modules Envoy would
// refuse, starting with one that imports a function Envoy lacks.
func TestCheckEnvoyABIRejects(t *testing.T) {
	good := func(imports ...rawImport) rawModule {
		base := []rawImport{
			{"env", "proxy_log", i32n(3), i32n(1)},
			{"wasi_unstable", "fd_write", i32n(4), i32n(1)},
			{"wasi_snapshot_preview1", "clock_time_get", []byte{tI32, tI64, tI32}, i32n(1)},
		}
		return minimalProxyModule(append(base, imports...), httpCallbacks()...)
	}
	if err := CheckEnvoyABI(good().encode()); err != nil {
		t.Fatalf("baseline raw module rejected: %v", err)
	}
	cases := []struct {
		name string
		mod  rawModule
		want string
	}{
		{"fail/import-envoy-lacks", good(rawImport{"env", "proxy_get_secret", i32n(2), i32n(1)}), "imports env.proxy_get_secret, which Envoy's host does not provide"},
		{"fail/wasi-import-envoy-lacks", good(rawImport{"wasi_snapshot_preview1", "sock_send", i32n(5), i32n(1)}), "wasi_snapshot_preview1.sock_send"},
		{"fail/abi-0.1-only-import", good(rawImport{"env", "proxy_get_configuration", i32n(2), i32n(1)}), "env.proxy_get_configuration"},
		{"fail/wrong-import-signature", good(rawImport{"env", "proxy_done", i32n(1), i32n(1)}), "imports env.proxy_done with signature (i32)->(i32), Envoy provides ()->(i32)"},
		{"fail/no-abi-version", func() rawModule { m := good(); m.funcs = m.funcs[1:]; return m }(), "no proxy_abi_version_0_2_*"},
		{"fail/no-malloc", func() rawModule { m := good(); m.funcs = append(m.funcs[:1], m.funcs[2:]...); return m }(), "neither malloc nor proxy_on_memory_allocate"},
		{"fail/no-context-create", func() rawModule { m := good(); m.funcs = append(m.funcs[:2], m.funcs[3:]...); return m }(), "does not export proxy_on_context_create"},
		{"fail/no-http-callbacks", minimalProxyModule(nil), "does not export proxy_on_request_headers"},
		{"fail/no-memory", func() rawModule { m := good(); m.noMem = true; return m }(), "exports no memory"},
		{"fail/bad-callback-signature", func() rawModule {
			m := good()
			m.funcs[len(m.funcs)-1] = rawFunc{export: "proxy_on_delete", params: i32n(2)}
			return m
		}(), "exports proxy_on_delete with signature (i32,i32)->()"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckEnvoyABI(tc.mod.encode())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckEnvoyABI = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	// The host refuses the same module Envoy would: linking fails.
	h := newHost(t, HostOptions{})
	_, err := h.NewPlugin(t.Context(), PluginOptions{Wasm: cases[0].mod.encode()})
	if err == nil || !strings.Contains(err.Error(), "proxy_get_secret") {
		t.Fatalf("host loaded a module importing a function Envoy lacks: %v", err)
	}
}
