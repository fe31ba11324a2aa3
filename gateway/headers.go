package gateway

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/certgate/certgate/wasmtest"
)

// hopByHop are the connection-scoped headers (RFC 9110 §7.6.1) a proxy
// never forwards; Envoy's codecs drop them too.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization",
}

// stripHopByHop removes hop-by-hop headers and those named in Connection.
func stripHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

// requestHeaders renders a downstream request as Envoy's HTTP/1 codec hands
// it to filters: pseudo-headers first, then every header lowercased, one
// pair per value.
func requestHeaders(r *http.Request) []wasmtest.Header {
	out := make([]wasmtest.Header, 0, 6+len(r.Header))
	out = append(out,
		wasmtest.Header{":authority", r.Host},
		wasmtest.Header{":path", r.URL.RequestURI()},
		wasmtest.Header{":method", r.Method},
		wasmtest.Header{":scheme", "https"},
	)
	for name, vals := range r.Header {
		lower := strings.ToLower(name)
		for _, v := range vals {
			out = append(out, wasmtest.Header{lower, v})
		}
	}
	return out
}

// responseHeaders renders an upstream response for the filter: :status,
// then every header lowercased.
func responseHeaders(res *http.Response) []wasmtest.Header {
	out := make([]wasmtest.Header, 0, 1+len(res.Header))
	out = append(out, wasmtest.Header{":status", strconv.Itoa(res.StatusCode)})
	for name, vals := range res.Header {
		lower := strings.ToLower(name)
		for _, v := range vals {
			out = append(out, wasmtest.Header{lower, v})
		}
	}
	return out
}

// toHTTPHeader converts filter headers back, dropping pseudo-headers and
// hop-by-hop headers a filter may have added; pseudo returns :authority,
// :path, :method and :status.
func toHTTPHeader(hs []wasmtest.Header) (h http.Header, pseudo map[string]string) {
	h = make(http.Header, len(hs))
	pseudo = map[string]string{}
	for _, kv := range hs {
		if strings.HasPrefix(kv[0], ":") {
			pseudo[kv[0]] = kv[1]
			continue
		}
		h.Add(kv[0], kv[1])
	}
	stripHopByHop(h)
	return h, pseudo
}

// writeHeaders copies h into w's header map (names canonicalised).
func writeHeaders(w http.ResponseWriter, h http.Header) {
	dst := w.Header()
	for name, vals := range h {
		for _, v := range vals {
			dst.Add(name, v)
		}
	}
}
