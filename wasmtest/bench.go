package wasmtest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TypicalRequestHeaders returns ten request headers like a browser or API
// client sends through Envoy's HTTP/1 codec (already lowercase).
func TypicalRequestHeaders() []Header {
	return []Header{
		{":method", "GET"},
		{":path", "/pizzashack/1.0.0/menu?size=2"},
		{":authority", "api.example.com"},
		{":scheme", "https"},
		{"user-agent", "curl/8.5.0"},
		{"accept", "application/json"},
		{"accept-encoding", "gzip, deflate"},
		{"x-request-id", "5c3f2e1a-9b7d-4c8e-a1f0-2d6b8e9c7a54"},
		{"x-forwarded-proto", "https"},
		{"authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"},
	}
}

// TypicalResponseHeaders returns five upstream response headers.
func TypicalResponseHeaders() []Header {
	return []Header{
		{":status", "200"},
		{"content-type", "application/json"},
		{"content-length", "128"},
		{"date", "Mon, 23 Nov 2026 12:00:00 GMT"},
		{"server", "upstream"},
	}
}

// RunRequests measures the per-request cost of a filter the way the no-op
// baseline (BenchmarkNoop) does, so benchmarks of other filters give
// comparable ns/op: for i in 0..b.N-1 it opens a stream on worker
// i % p.Workers() (round robin, one goroutine; the Worker field mk returns is
// ignored), runs the request headers mk returns with end of stream, then —
// unless the filter answered with a local reply or paused the request —
// TypicalResponseHeaders with end of stream, and closes the stream
// (proxy_on_done, proxy_on_log, proxy_on_delete). Any error fails the
// benchmark. It reports allocations and the first VM's linear memory size
// ("wasm-bytes").
func RunRequests(b *testing.B, p *Plugin, mk func(i int) ([]Header, StreamOptions)) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	if err := runRequests(b.Context(), p, mk, 0, b.N); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(p.MemorySize(0)), "wasm-bytes")
}

func runRequests(ctx context.Context, p *Plugin, mk func(i int) ([]Header, StreamOptions), from, to int) error {
	resp := TypicalResponseHeaders()
	workers := p.Workers()
	for i := from; i < to; i++ {
		req, opts := mk(i)
		opts.Worker = i % workers
		s, err := p.NewStream(ctx, opts)
		if err != nil {
			return fmt.Errorf("request %d: NewStream: %w", i, err)
		}
		if _, err := s.RequestHeaders(req, true); err != nil {
			return fmt.Errorf("request %d: RequestHeaders: %w", i, err)
		}
		if s.wentUpstream() {
			if _, err := s.ResponseHeaders(resp, true); err != nil {
				return fmt.Errorf("request %d: ResponseHeaders: %w", i, err)
			}
		}
		if err := s.Close(); err != nil {
			return fmt.Errorf("request %d: Close: %w", i, err)
		}
	}
	return nil
}

// NoopBaseline measures the no-op filter with RunRequests' workload
// (TypicalRequestHeaders, workers VMs, ~500 ms after a warm-up) and returns
// ns per request, so another benchmark can report a ratio against the
// baseline measured in the same run. Call it before b.ResetTimer / RunRequests:
//
//	base := wasmtest.NoopBaseline(b, 1)
//	wasmtest.RunRequests(b, p, mk)
//	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-noop")
func NoopBaseline(tb testing.TB, workers int) float64 {
	tb.Helper()
	ctx := context.Background()
	h := NewHost(HostOptions{})
	defer h.Close()
	p, err := h.NewPlugin(ctx, PluginOptions{Name: "noop", RootID: "noop", VMID: "noop", Wasm: MustReadBuild(tb, "testfilters/noop.wasm"), Workers: workers})
	if err != nil {
		tb.Fatalf("wasmtest: noop baseline: %v", err)
	}
	req := TypicalRequestHeaders()
	mk := func(int) ([]Header, StreamOptions) { return req, StreamOptions{} }
	if err := runRequests(ctx, p, mk, 0, 2000); err != nil { // warm-up
		tb.Fatalf("wasmtest: noop baseline: %v", err)
	}
	n, start := 0, time.Now()
	for time.Since(start) < 500*time.Millisecond {
		if err := runRequests(ctx, p, mk, n, n+1000); err != nil {
			tb.Fatalf("wasmtest: noop baseline: %v", err)
		}
		n += 1000
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}
