//go:build !tinygo.wasm

package plugin

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// getProperty reads p through the SDK (native builds: unit tests with the SDK's mock host).
func getProperty(p *property) ([]byte, bool) {
	v, err := proxywasm.GetProperty(p.path)
	return v, err == nil
}
