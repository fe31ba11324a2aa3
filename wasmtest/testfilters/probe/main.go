// Command probe is wasmtest's test filter: each request header x-action
// selects one host behaviour to exercise, and the filter reports what the
// host answered in request headers (x-result, x-value, ...) that the test
// reads back from the upstream request.
package main

import (
	"strconv"
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func main() { proxywasm.SetVMContext(&vmContext{}) }

type vmContext struct{ types.DefaultVMContext }

// OnVMStart implements types.VMContext: counts VM starts in shared data (CAS
// loop) and records the VM configuration.
func (*vmContext) OnVMStart(int) types.OnVMStartStatus {
	cfg, err := proxywasm.GetVMConfiguration()
	if err != nil {
		proxywasm.LogErrorf("vm config: %v", err)
	}
	if string(cfg) == "fail" {
		return types.OnVMStartStatusFailed
	}
	_ = proxywasm.SetSharedData("vm_config", cfg, 0)
	incrShared("vm_starts")
	proxywasm.LogInfof("vm start: %s", cfg)
	return types.OnVMStartStatusOK
}

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(id uint32) types.PluginContext {
	return &pluginContext{id: id}
}

// incrShared increments a decimal counter in shared data with a bounded CAS loop.
func incrShared(key string) error {
	var err error
	for i := 0; i < 100; i++ {
		v, cas, gerr := proxywasm.GetSharedData(key)
		n := 0
		if gerr == nil {
			n, _ = strconv.Atoi(string(v))
		}
		if err = proxywasm.SetSharedData(key, []byte(strconv.Itoa(n+1)), cas); err != types.ErrorStatusCasMismatch {
			return err
		}
	}
	return err
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
