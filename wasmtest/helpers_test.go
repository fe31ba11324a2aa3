package wasmtest

import (
	"context"
	"strings"
	"testing"
	"time"
)

const (
	testName = "probe-plugin"
	testRoot = "probe-root"
	testVM   = "probe-vm"
)

func newHost(t *testing.T, opts HostOptions) *Host {
	t.Helper()
	h := NewHost(opts)
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("host close: %v", err)
		}
	})
	return h
}

func probeOptions(t *testing.T) PluginOptions {
	return PluginOptions{Name: testName, RootID: testRoot, VMID: testVM, Wasm: MustReadBuild(t, "testfilters/probe.wasm")}
}

func newPlugin(t *testing.T, h *Host, opts PluginOptions) *Plugin {
	t.Helper()
	p, err := h.NewPlugin(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewPlugin: %v", err)
	}
	return p
}

func newStream(t *testing.T, p *Plugin, opts StreamOptions) *Stream {
	t.Helper()
	s, err := p.NewStream(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewStream: %v", err)
	}
	return s
}

// reqHeaders builds a GET request with the probe's x-action and extra headers.
func reqHeaders(action string, extra ...string) []Header {
	h := []Header{{":method", "GET"}, {":path", "/pizzashack/1.0.0/menu?size=2"}, {":authority", "api.example.com"}, {":scheme", "https"}, {"x-action", action}}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, Header{extra[i], extra[i+1]})
	}
	return h
}

// do runs request headers (end of stream) through a new stream and returns
// the stream and the upstream request headers.
func do(t *testing.T, p *Plugin, opts StreamOptions, action string, extra ...string) (*Stream, []Header) {
	t.Helper()
	s := newStream(t, p, opts)
	if _, err := s.RequestHeaders(reqHeaders(action, extra...), true); err != nil {
		t.Fatalf("RequestHeaders(%s): %v", action, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, s.UpstreamRequestHeaders()
}

func mustHeader(t *testing.T, h []Header, name string) string {
	t.Helper()
	v, ok := HeaderValue(h, name)
	if !ok {
		t.Fatalf("header %s missing in %v", name, h)
	}
	return v
}

func hasLog(h *Host, level LogLevel, substr string) bool {
	for _, l := range h.Logs(level) {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

func sharedString(h *Host, key string) string {
	v, _, _ := h.SharedData().Get(key)
	return string(v)
}

func waitFor(t *testing.T, h *Host, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Wait(ctx, cond); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}
