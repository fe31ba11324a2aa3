// Command filter is certgate's proxy-wasm HTTP filter, built with TinyGo.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"github.com/certgate/certgate/filter/internal/plugin"
)

func main() { proxywasm.SetVMContext(plugin.NewVMContext()) }
