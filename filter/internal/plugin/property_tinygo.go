//go:build tinygo.wasm

package plugin

import "unsafe"

// proxyGetProperty is the proxy-wasm ABI's proxy_get_property import (the
// SDK declares the same import; this declaration only skips its per-call
// path serialization).
//
//export proxy_get_property
func proxyGetProperty(pathData *byte, pathSize int, returnValueData **byte, returnValueSize *int) uint32

// getProperty reads p with its pre-serialized path. The returned buffer was
// allocated by the host through the module's malloc (see hostmem_tinygo.go).
func getProperty(p *property) ([]byte, bool) {
	if len(p.serialized) == 0 {
		return nil, false
	}
	var data *byte
	var size int
	if proxyGetProperty(&p.serialized[0], len(p.serialized), &data, &size) != 0 {
		return nil, false
	}
	if data == nil || size == 0 {
		return []byte{}, true
	}
	return unsafe.Slice(data, size), true
}
