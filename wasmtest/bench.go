package wasmtest

import (
	"testing"
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
	resp := TypicalResponseHeaders()
	workers := p.Workers()
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, opts := mk(i)
		opts.Worker = i % workers
		s, err := p.NewStream(ctx, opts)
		if err != nil {
			b.Fatalf("request %d: NewStream: %v", i, err)
		}
		if _, err := s.RequestHeaders(req, true); err != nil {
			b.Fatalf("request %d: RequestHeaders: %v", i, err)
		}
		if s.wentUpstream() {
			if _, err := s.ResponseHeaders(resp, true); err != nil {
				b.Fatalf("request %d: ResponseHeaders: %v", i, err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatalf("request %d: Close: %v", i, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(p.MemorySize(0)), "wasm-bytes")
}
