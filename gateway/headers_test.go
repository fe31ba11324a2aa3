package gateway

import (
	"net/http"
	"testing"
)

func TestStripHopByHop(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "X-Custom-Hop", "Accept"} {
		h.Set(k, "v")
	}
	h.Set("Connection", "close, X-Custom-Hop")
	stripHopByHop(h)
	if len(h) != 1 || h.Get("Accept") != "v" {
		t.Fatalf("left %v", h)
	}
}
