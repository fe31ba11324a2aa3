package gateway

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate/wasmtest"
)

// ServeHTTP runs one request through the filter on the next worker
// (round-robin), as Envoy's HTTP connection manager would: request headers
// (and body), then either the filter's local reply, or the request with the
// filter's changes to the backend and the backend's response headers back
// through the filter.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	worker := int((g.next.Add(1) - 1) % uint64(g.plugin.Workers()))
	status, detail := g.serve(w, r, worker)
	g.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", status, "worker", worker,
		"detail", detail, "client", r.RemoteAddr, "ms", float64(time.Since(start).Microseconds())/1000)
}

// serve handles one request and returns the status written and how it was decided.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, worker int) (int, string) {
	s, err := g.plugin.NewStream(r.Context(), wasmtest.StreamOptions{Worker: worker, Properties: connectionProperties(r)})
	if err != nil {
		return plainError(w, http.StatusServiceUnavailable, "filter unavailable"), "filter: " + err.Error()
	}
	defer func() { _ = s.Close() }()

	stripHopByHop(r.Header)
	envoyHeaders(r)
	hasBody := r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
	if _, err := s.RequestHeaders(requestHeaders(r), !hasBody); err != nil {
		return plainError(w, http.StatusServiceUnavailable, "filter failed"), "filter: " + err.Error()
	}
	if lr := s.LocalResponse(); lr != nil {
		return writeLocal(w, lr), "local reply"
	}
	var body []byte
	if hasBody {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return plainError(w, http.StatusRequestEntityTooLarge, "Payload Too Large"), "body over " + strconv.FormatInt(g.cfg.MaxBodyBytes, 10) + " bytes"
		case err != nil:
			return plainError(w, http.StatusBadRequest, "bad request body"), err.Error()
		}
		if _, err := s.RequestBody(body, true); err != nil {
			return plainError(w, http.StatusServiceUnavailable, "filter failed"), "filter: " + err.Error()
		}
		if lr := s.LocalResponse(); lr != nil {
			return writeLocal(w, lr), "local reply"
		}
		body = s.UpstreamRequestBody()
	}
	up := s.UpstreamRequestHeaders()
	if up == nil {
		// The certgate filter never pauses without replying; Envoy would hold the request until its timeout.
		return plainError(w, http.StatusServiceUnavailable, "filter paused the request"), "paused"
	}
	return g.forward(w, r, s, up, body)
}

// forward sends the filter's upstream request to the backend and the
// backend's response, after the filter's response callbacks, downstream.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, s *wasmtest.Stream, up []wasmtest.Header, body []byte) (int, string) {
	h, pseudo := toHTTPHeader(up)
	path := pseudo[":path"]
	if !strings.HasPrefix(path, "/") {
		return plainError(w, http.StatusBadRequest, "bad path"), "path " + strconv.Quote(path)
	}
	target := g.backend.Scheme + "://" + g.backend.Host + strings.TrimSuffix(g.backend.Path, "/") + path
	req, err := http.NewRequestWithContext(r.Context(), pseudo[":method"], target, bytes.NewReader(body))
	if err != nil {
		return plainError(w, http.StatusBadRequest, "bad request"), err.Error()
	}
	req.Header = h
	req.Host = pseudo[":authority"]
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	res, err := g.transport.RoundTrip(req)
	if err != nil {
		// Envoy's text for the same failure.
		return plainError(w, http.StatusServiceUnavailable, "upstream connect error or disconnect/reset before headers"), "upstream: " + err.Error()
	}
	defer res.Body.Close()
	stripHopByHop(res.Header)
	noBody := res.ContentLength == 0 || r.Method == http.MethodHead
	if _, err := s.ResponseHeaders(responseHeaders(res), noBody); err != nil {
		return plainError(w, http.StatusServiceUnavailable, "filter failed"), "filter: " + err.Error()
	}
	if lr := s.LocalResponse(); lr != nil {
		return writeLocal(w, lr), "local reply on response"
	}
	down := s.DownstreamResponseHeaders()
	if down == nil {
		return plainError(w, http.StatusServiceUnavailable, "filter paused the response"), "paused"
	}
	rh, rp := toHTTPHeader(down)
	status, err := strconv.Atoi(rp[":status"])
	if err != nil || status < 100 || status > 999 {
		status = res.StatusCode
	}
	writeHeaders(w, rh)
	w.WriteHeader(status)
	if !noBody {
		// The response body is streamed, not run through the filter's body
		// callback (certgate's filter does not look at response bodies).
		_, _ = io.Copy(w, res.Body)
	}
	return status, "upstream"
}

// envoyHeaders sets what Envoy's connection manager adds before filters
// run: x-forwarded-proto, x-request-id (kept if present), and the client
// address appended to x-forwarded-for.
func envoyHeaders(r *http.Request) {
	r.Header.Set("X-Forwarded-Proto", "https")
	if r.Header.Get("X-Request-Id") == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		r.Header.Set("X-Request-Id", hex.EncodeToString(b[:]))
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
			ip = prior + ", " + ip
		}
		r.Header.Set("X-Forwarded-For", ip)
	}
}

// connectionProperties are the Envoy attributes of the downstream
// connection: source/destination addresses, SNI, TLS version and, when
// the client presented a certificate, the peer certificate attributes.
// connection.peer_certificate_valid is left unset: the gateway accepts any
// client certificate (like Envoy's ACCEPT_UNTRUSTED without a trust store),
// so it cannot say; the filter then verifies CA-issued certificates itself.
func connectionProperties(r *http.Request) map[string][]byte {
	props := map[string][]byte{"source.address": wasmtest.PropString(r.RemoteAddr)}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		props["destination.address"] = wasmtest.PropString(la.String())
	}
	if r.TLS == nil {
		return props
	}
	props["connection.requested_server_name"] = wasmtest.PropString(r.TLS.ServerName)
	props["connection.tls_version"] = wasmtest.PropString(tlsVersion(r.TLS.Version))
	if len(r.TLS.PeerCertificates) > 0 {
		for k, v := range wasmtest.PeerCertificateProperties(r.TLS.PeerCertificates[0], false) {
			props[k] = v
		}
		delete(props, "connection.peer_certificate_valid")
	}
	return props
}

func tlsVersion(v uint16) string {
	switch v {
	case 0x0303:
		return "TLSv1.2"
	case 0x0304:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// writeLocal writes the filter's local reply.
func writeLocal(w http.ResponseWriter, lr *wasmtest.LocalResponse) int {
	h, _ := toHTTPHeader(lr.Headers)
	writeHeaders(w, h)
	w.Header().Set("Content-Length", strconv.Itoa(len(lr.Body)))
	w.WriteHeader(lr.Status)
	_, _ = w.Write(lr.Body)
	return lr.Status
}

// plainError writes a gateway error the way Envoy writes its own (text/plain).
func plainError(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
	return status
}
