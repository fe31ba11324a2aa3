package wasmtest

import (
	"strconv"
	"testing"
)

// BenchmarkNoop is the per-request baseline: the no-op filter through
// wasmtest, request headers (10) + response headers (5) + stream close, with
// 1 and 4 VMs (streams spread round robin).
func BenchmarkNoop(b *testing.B) {
	wasm := MustReadBuild(b, "testfilters/noop.wasm")
	req := TypicalRequestHeaders()
	for _, vms := range []int{1, 4} {
		b.Run("vms="+strconv.Itoa(vms), func(b *testing.B) {
			h := NewHost(HostOptions{})
			defer h.Close()
			p, err := h.NewPlugin(b.Context(), PluginOptions{Name: "noop", RootID: "noop", VMID: "noop", Wasm: wasm, Workers: vms})
			if err != nil {
				b.Fatal(err)
			}
			RunRequests(b, p, func(int) ([]Header, StreamOptions) { return req, StreamOptions{} })
		})
	}
}
