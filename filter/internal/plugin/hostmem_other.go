//go:build !tinygo.wasm

package plugin

// Native builds (unit tests) have no host-malloc retention to undo.
func pinStartupAllocs()  {}
func releaseHostAllocs() {}
