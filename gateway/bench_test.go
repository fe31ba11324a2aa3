package gateway

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkGateway measures one HTTPS request (keep-alive, HTTP/2) through
// the gateway: allowed (filter + echo backend) and denied (local reply),
// against the echo backend called directly over plain HTTP.
func BenchmarkGateway(b *testing.B) {
	m := startManager(b)
	apiID := m.CreateAPI("PizzaShack", "/pizzashack", "mutualssl")
	alice := newCert(b, "alice", nil, false)
	m.Upload(apiID, "alice", "Unlimited", alice.cert)
	g := startGateway(b, m, nil)
	run := func(b *testing.B, c *http.Client, url string, want int) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := c.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	}
	b.Run("allowed", func(b *testing.B) { run(b, client(b, g, &alice), g.URL()+menu, http.StatusOK) })
	b.Run("denied", func(b *testing.B) { run(b, client(b, g, nil), g.URL()+menu, http.StatusUnauthorized) })
	b.Run("echo-direct", func(b *testing.B) { run(b, http.DefaultClient, g.Backend()+menu, http.StatusOK) })
}
