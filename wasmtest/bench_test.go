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

// BenchmarkNoopRatio shows the ratio pattern other benchmarks use: the no-op
// filter measured against NoopBaseline in the same run (≈1.0).
func BenchmarkNoopRatio(b *testing.B) {
	base := NoopBaseline(b, 1)
	h := NewHost(HostOptions{})
	defer h.Close()
	p, err := h.NewPlugin(b.Context(), PluginOptions{Name: "noop", RootID: "noop", VMID: "noop", Wasm: MustReadBuild(b, "testfilters/noop.wasm")})
	if err != nil {
		b.Fatal(err)
	}
	req := TypicalRequestHeaders()
	RunRequests(b, p, func(int) ([]Header, StreamOptions) { return req, StreamOptions{} })
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-noop")
}
