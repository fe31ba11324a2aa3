package wasmtest

import (
	"errors"
	"strings"
	"testing"
)

// TestLocalReply covers proxytest divergence 5: after
// proxy_send_local_response Envoy runs the response callbacks on the local
// reply, and nothing goes upstream.
func TestLocalReply(t *testing.T) {
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, probeOptions(t))

	t.Run("with-body", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		a, err := s.RequestHeaders(reqHeaders("deny", "x-status", "401", "x-body", `{"code":900901}`), true)
		if err != nil || a != ActionPause {
			t.Fatalf("RequestHeaders = %v, %v; want Pause", a, err)
		}
		lr := s.LocalResponse()
		if lr == nil || lr.Status != 401 || string(lr.Body) != `{"code":900901}` || lr.GrpcStatus != -1 {
			t.Fatalf("local response = %+v", lr)
		}
		for name, want := range map[string]string{
			":status": "401", "x-deny": "yes", "content-type": "application/json",
			"content-length": "15", "x-seen-status": "401", "x-probe-response": "seen",
		} {
			if got := mustHeader(t, lr.Headers, name); got != want {
				t.Errorf("local reply header %s = %q, want %q", name, got, want)
			}
		}
		if got := DownstreamHeadersNames(s.DownstreamResponseHeaders()); !strings.Contains(got, "x-probe-response") {
			t.Errorf("downstream headers %s lack the response callback's header", got)
		}
		if !hasLog(h, LogInfo, `response body: {"code":900901}`) {
			t.Errorf("proxy_on_response_body did not run on the local reply body: %q", h.Logs(LogInfo))
		}
		if s.UpstreamRequestHeaders() != nil {
			t.Error("request headers went upstream after a local reply")
		}
		if _, err := s.ResponseHeaders([]Header{{":status", "200"}}, true); !errors.Is(err, ErrLocalReplySent) {
			t.Errorf("upstream response after local reply: %v, want ErrLocalReplySent", err)
		}
	})
	t.Run("empty-body", func(t *testing.T) {
		s, _ := do(t, p, StreamOptions{}, "close")
		lr := s.LocalResponse()
		if lr == nil || lr.Status != 503 || len(lr.Body) != 0 {
			t.Fatalf("local response = %+v", lr)
		}
		if _, ok := HeaderValue(lr.Headers, "content-type"); ok {
			t.Errorf("no body, yet content-type set: %v", lr.Headers)
		}
		if mustHeader(t, lr.Headers, "x-seen-status") != "503" {
			t.Errorf("response headers callback did not run: %v", lr.Headers)
		}
	})
	t.Run("default-content-type", func(t *testing.T) {
		s, _ := do(t, p, StreamOptions{}, "deny-plain")
		lr := s.LocalResponse()
		if mustHeader(t, lr.Headers, "content-type") != "text/plain" || mustHeader(t, lr.Headers, "content-length") != "6" {
			t.Fatalf("local reply without content-type: %v, want Envoy's text/plain default", lr.Headers)
		}
	})
	t.Run("second-local-reply-rejected", func(t *testing.T) {
		s, _ := do(t, p, StreamOptions{}, "deny-twice")
		if !hasLog(h, LogInfo, "second local reply: bad argument") {
			t.Fatalf("second proxy_send_local_response not rejected: %q", h.Logs(LogInfo))
		}
		if s.LocalResponse().Status != 403 {
			t.Fatalf("first local reply must win: %+v", s.LocalResponse())
		}
	})
}

// DownstreamHeadersNames lists header names, for messages.
func DownstreamHeadersNames(h []Header) string {
	names := make([]string, len(h))
	for i, kv := range h {
		names[i] = kv[0]
	}
	return strings.Join(names, ",")
}

func TestHeaderMaps(t *testing.T) {
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, probeOptions(t))
	s, up := do(t, p, StreamOptions{}, "headers", "X-Upper", "A", "x-replace", "old", "X-Replace", "older", "x-remove", "gone")
	for _, kv := range up {
		if kv[0] != strings.ToLower(kv[0]) {
			t.Errorf("header %q not lowercased (Envoy's HTTP/1 codec lowercases names)", kv[0])
		}
	}
	checks := map[string]string{
		"x-upper-seen":   "A",
		"x-added":        "1",
		"x-replace":      "new",
		"x-missing":      "not found",
		"x-response-map": "bad argument", // no response headers yet
		"x-pairs":        "9:ok",
	}
	for name, want := range checks {
		if got := mustHeader(t, up, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := HeaderValue(up, "x-remove"); ok {
		t.Error("x-remove still present")
	}
	n := 0
	for _, kv := range up {
		if kv[0] == "x-replace" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("replace left %d x-replace entries", n)
	}
	if _, err := s.ResponseHeaders([]Header{{":status", "204"}, {"Server", "upstream"}}, true); err != nil {
		t.Fatal(err)
	}
	down := s.DownstreamResponseHeaders()
	if mustHeader(t, down, "x-seen-status") != "204" || mustHeader(t, down, "server") != "upstream" {
		t.Errorf("downstream response headers = %v", down)
	}

	_, up = do(t, p, StreamOptions{}, "setpairs")
	if mustHeader(t, up, "x-set") != "yes" || mustHeader(t, up, ":path") == "" {
		t.Errorf("set_header_map_pairs result = %v", up)
	}
}

func TestBodiesAndTrailers(t *testing.T) {
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, probeOptions(t))

	t.Run("buffered-request-body", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		if a, err := s.RequestHeaders(reqHeaders("buffer"), false); err != nil || a != ActionContinue {
			t.Fatalf("headers: %v %v", a, err)
		}
		if a, err := s.RequestBody([]byte("hello "), false); err != nil || a != ActionPause {
			t.Fatalf("first chunk: %v %v, want Pause (StopIterationAndBuffer)", a, err)
		}
		if got := s.UpstreamRequestBody(); len(got) != 0 {
			t.Fatalf("buffered data went upstream: %q", got)
		}
		if a, err := s.RequestBody([]byte("world"), true); err != nil || a != ActionContinue {
			t.Fatalf("last chunk: %v %v", a, err)
		}
		if !hasLog(h, LogInfo, "request body: hello world") {
			t.Errorf("the filter did not see the accumulated body: %q", h.Logs(LogInfo))
		}
		if got := string(s.UpstreamRequestBody()); got != "HELLO WORLD" {
			t.Errorf("upstream body = %q, want the filter's replacement", got)
		}
	})
	t.Run("paused-headers-hold-body", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		if a, _ := s.RequestHeaders(reqHeaders("pause"), false); a != ActionPause {
			t.Fatalf("pause action returned %v", a)
		}
		if a, err := s.RequestBody([]byte("data"), true); err != nil || a != ActionPause {
			t.Fatalf("body while paused = %v %v", a, err)
		}
		if !s.RequestPaused() || s.UpstreamRequestHeaders() != nil || len(s.UpstreamRequestBody()) != 0 {
			t.Fatal("a paused request must not go upstream")
		}
	})
	t.Run("trailers", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		if _, err := s.RequestHeaders(reqHeaders(""), false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestBody([]byte("b"), false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestTrailers([]Header{{"X-Checksum", "abc"}}); err != nil {
			t.Fatal(err)
		}
		tr := s.UpstreamRequestTrailers()
		if mustHeader(t, tr, "x-checksum") != "abc" || mustHeader(t, tr, "x-trailer-added") != "1" {
			t.Errorf("request trailers = %v", tr)
		}
		if _, err := s.ResponseHeaders([]Header{{":status", "200"}}, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResponseBody([]byte("resp"), false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResponseTrailers([]Header{{"grpc-status", "0"}}); err != nil {
			t.Fatal(err)
		}
		if mustHeader(t, s.DownstreamResponseTrailers(), "x-response-trailer-added") != "1" || string(s.DownstreamResponseBody()) != "resp" {
			t.Errorf("response trailers/body = %v %q", s.DownstreamResponseTrailers(), s.DownstreamResponseBody())
		}
	})
}

func TestLogs(t *testing.T) {
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, probeOptions(t))
	s, _ := do(t, p, StreamOptions{}, "log")
	for _, level := range []LogLevel{LogTrace, LogDebug, LogInfo, LogWarn, LogError, LogCritical} {
		want := "wasm log probe-plugin probe-root probe-vm: msg-" + strings.TrimSuffix(level.String(), "ing")
		if !hasLog(h, level, want) {
			t.Errorf("level %s: %q not in %q", level, want, h.Logs(level))
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !hasLog(h, LogDebug, "stream done id=2") {
		t.Errorf("proxy_on_log did not run at Close: %q", h.Logs(LogDebug))
	}

	var sink strings.Builder
	hw := newHost(t, HostOptions{LogLevel: LogWarn, LogSink: &sink})
	pw := newPlugin(t, hw, probeOptions(t))
	do(t, pw, StreamOptions{}, "log")
	if len(hw.Logs(LogInfo)) != 0 || len(hw.Logs(LogWarn)) != 1 {
		t.Errorf("with log level warn: info=%q warn=%q", hw.Logs(LogInfo), hw.Logs(LogWarn))
	}
	if !strings.Contains(sink.String(), "[critical] wasm log probe-plugin probe-root probe-vm: msg-critical\n") {
		t.Errorf("sink = %q", sink.String())
	}
}

// TestCloseStream: proxy_close_stream resets the stream after the VM call
// (the Go SDK has no HTTP wrapper for it, so a raw module calls it).
func TestCloseStream(t *testing.T) {
	m := minimalProxyModule([]rawImport{{"env", "proxy_close_stream", i32n(1), i32n(1)}},
		rawFunc{export: "proxy_on_request_headers", params: i32n(3), results: i32n(1), body: cat(i32Const(0), call(0), opDrop, i32Const(1))})
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, PluginOptions{VMID: "raw", Wasm: m.encode()})
	s := newStream(t, p, StreamOptions{})
	defer s.Close()
	if _, err := s.RequestHeaders(reqHeaders(""), true); err != nil {
		t.Fatal(err)
	}
	if !s.Reset() {
		t.Fatal("proxy_close_stream(Request) did not reset the stream")
	}
}
