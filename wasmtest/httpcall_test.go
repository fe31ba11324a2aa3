package wasmtest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func backend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("X-Echo", r.Host+"|"+r.Header.Get("x-from")+"|"+r.Method)
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("pong"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPCall covers proxy_http_call to a real server, Pause/continue around
// it, and proxytest divergence 2: an unknown cluster is rejected.
func TestHTTPCall(t *testing.T) {
	srv := backend(t)
	h := newHost(t, HostOptions{Clusters: map[string]string{"manager": srv.URL}})
	opts := probeOptions(t)
	opts.Workers = 2
	p := newPlugin(t, h, opts)

	t.Run("ok", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{Worker: 1})
		defer s.Close()
		a, err := s.RequestHeaders(reqHeaders("callout", "x-cluster", "manager", "x-path", "/snapshot"), true)
		if err != nil || a != ActionPause {
			t.Fatalf("RequestHeaders = %v %v, want Pause while the call is in flight", a, err)
		}
		if s.UpstreamRequestHeaders() != nil {
			t.Fatal("paused request went upstream")
		}
		waitFor(t, h, func() bool { return !s.RequestPaused() })
		up := s.UpstreamRequestHeaders()
		for name, want := range map[string]string{
			"x-callout-status": "202", "x-callout-body": "pong", "x-callout-echo": "backend|probe|GET",
		} {
			if got := mustHeader(t, up, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if p.PendingHTTPCalls() != 0 {
			t.Errorf("%d calls still pending", p.PendingHTTPCalls())
		}
	})

	t.Run("body-held-until-resume", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		if a, err := s.RequestHeaders(reqHeaders("callout", "x-cluster", "manager", "x-path", "/check"), false); err != nil || a != ActionPause {
			t.Fatalf("headers: %v %v", a, err)
		}
		if a, err := s.RequestBody([]byte("payload"), true); err != nil || a != ActionPause {
			t.Fatalf("body while headers are stopped: %v %v, want Pause (held, filter not called)", a, err)
		}
		waitFor(t, h, func() bool { return !s.RequestPaused() })
		if got := string(s.UpstreamRequestBody()); got != "payload" {
			t.Fatalf("upstream body after resume = %q", got)
		}
	})

	t.Run("local-reply-from-callback", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		if _, err := s.RequestHeaders(reqHeaders("callout", "x-cluster", "manager", "x-path", "/check", "x-deny-after", "1"), true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, h, func() bool { return s.LocalResponse() != nil })
		lr := s.LocalResponse()
		if lr.Status != 401 || string(lr.Body) != "denied after 202" || mustHeader(t, lr.Headers, "x-seen-status") != "401" {
			t.Fatalf("local reply from the http call callback = %+v", lr)
		}
		if s.UpstreamRequestHeaders() != nil {
			t.Fatal("denied request went upstream")
		}
	})

	rejected := []struct {
		name  string
		extra []string
	}{
		{"fail/unknown-cluster", []string{"x-cluster", "nowhere", "x-path", "/"}},
		{"fail/no-path", []string{"x-cluster", "manager", "x-path", "/", "x-omit", ":path"}},
		{"fail/no-method", []string{"x-cluster", "manager", "x-path", "/", "x-omit", ":method"}},
		{"fail/no-authority", []string{"x-cluster", "manager", "x-path", "/", "x-omit", ":authority"}},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			s, up := do(t, p, StreamOptions{}, "callout", tc.extra...)
			if got := mustHeader(t, up, "x-result"); got != "bad argument" {
				t.Fatalf("x-result = %q, want bad argument (Envoy's answer)", got)
			}
			if s.RequestPaused() {
				t.Fatal("stream left paused")
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		s := newStream(t, p, StreamOptions{})
		defer s.Close()
		start := time.Now()
		if _, err := s.RequestHeaders(reqHeaders("callout", "x-cluster", "manager", "x-path", "/slow", "x-timeout", "100"), true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, h, func() bool { return !s.RequestPaused() })
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("timeout not honoured: %v", d)
		}
		up := s.UpstreamRequestHeaders()
		if mustHeader(t, up, "x-callout-headers") != "0" || mustHeader(t, up, "x-callout-status") != "" {
			t.Fatalf("timed-out call must deliver 0 headers: %v", up)
		}
	})
}
