// Command startcall calls proxy_set_shared_data from main, i.e. while the VM
// starts, which Envoy forbids: the host must refuse to start it.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {
	_ = proxywasm.SetSharedData("during-start", []byte("x"), 0)
	proxywasm.SetVMContext(&types.DefaultVMContext{})
}
