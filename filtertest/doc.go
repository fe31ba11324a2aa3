// Package filtertest runs the compiled certgate filter
// (build/certgate-filter.wasm) through wasmtest, the proxy-wasm host that
// behaves like Envoy: the tests and benchmarks here are black-box over the
// .wasm, and fill shared data with shared.Publish exactly as the manager's
// sync will. They fail (never skip) when the .wasm is missing: run
// `make wasm`.
package filtertest
