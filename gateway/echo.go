package gateway

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
)

// EchoResponse is what the built-in echo backend answers: the request as
// the backend saw it, so a demo shows who the filter says called.
type EchoResponse struct {
	Backend string `json:"backend"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	// Identity holds the identity headers received (x-certgate-*), lowercased.
	Identity map[string]string `json:"identity"`
	// Headers lists the names of every header received, lowercased and sorted.
	Headers   []string `json:"headers"`
	BodyBytes int      `json:"bodyBytes"`
}

// EchoHandler returns the echo backend's handler; prefix is the identity
// header prefix to report ("x-certgate-").
func EchoHandler(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		res := EchoResponse{Backend: "certgate-echo", Method: r.Method, Path: r.URL.RequestURI(), Identity: map[string]string{}, BodyBytes: int(n)}
		for name, vals := range r.Header {
			lower := strings.ToLower(name)
			res.Headers = append(res.Headers, lower)
			if strings.HasPrefix(lower, prefix) && len(vals) > 0 {
				res.Identity[lower] = strings.Join(vals, ", ")
			}
		}
		sort.Strings(res.Headers)
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	})
}

// startEcho serves the echo backend on a random loopback port and returns
// its base URL and a stop function.
func startEcho(prefix string) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: EchoHandler(prefix), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
