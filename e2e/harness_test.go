// Package e2e runs certgate whole: a real manager (REST, Badger, long-poll,
// xDS) and the compiled filter in wasmtest VMs that long-poll it through
// proxy_http_call, as Envoy would.
package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testmanager"
	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

const cluster = "certgate-manager"

var serial atomic.Int64

// clientCert makes a self-signed client certificate (as seed 003's openssl command does).
func clientCert(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// gateway is one Envoy process: a wasmtest host running the compiled filter
// on several workers, syncing from the manager.
type gateway struct {
	host   *wasmtest.Host
	plugin *wasmtest.Plugin
}

// startGateway starts a gateway; each VM names itself with a random id in
// its polls (no gatewayId configured), so the manager's gateways view shows
// which VMs poll.
func startGateway(t testing.TB, wasm []byte, managerURL string, workers int) *gateway {
	t.Helper()
	host := wasmtest.NewHost(wasmtest.HostOptions{Clusters: map[string]string{cluster: managerURL}})
	t.Cleanup(func() { host.Close() })
	cfg := fmt.Sprintf(`{"sync":{"cluster":%q,"token":%q,"tickMillis":20,"timeoutMillis":3000}}`, cluster, testmanager.GatewayToken)
	p, err := host.NewPlugin(context.Background(), wasmtest.PluginOptions{Name: "certgate", VMID: "certgate", Config: []byte(cfg), Wasm: wasm, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{host: host, plugin: p}
}

// applied is the manager version the gateway's shared data reflects.
func (g *gateway) applied() uint64 {
	v, _, ok := g.host.SharedData().Get(shared.KeySyncApplied)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(string(v), 10, 64)
	return n
}

// waitApplied pumps the gateway until it has applied version v.
func (g *gateway) waitApplied(t testing.TB, v uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.host.Wait(ctx, func() bool { return g.applied() >= v }); err != nil {
		t.Fatalf("gateway stuck at version %d, want %d: %v\nwarnings: %v", g.applied(), v, err, g.host.LogMessages(wasmtest.LogWarn))
	}
}

// request sends GET path with cert as the TLS peer on worker w and returns
// the local reply status, or 0 when the request went upstream.
func (g *gateway) request(t testing.TB, w int, path string, cert *x509.Certificate) int {
	t.Helper()
	opts := wasmtest.StreamOptions{Worker: w, Properties: map[string][]byte{"source.address": wasmtest.PropString("10.1.2.3:5555")}}
	if cert != nil {
		for k, v := range wasmtest.PeerCertificateProperties(cert, true) {
			opts.Properties[k] = v
		}
	}
	s, err := g.plugin.NewStream(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.RequestHeaders([]wasmtest.Header{{":method", "GET"}, {":path", path}, {":authority", "api.example.com"}, {":scheme", "https"}}, true); err != nil {
		t.Fatal(err)
	}
	if lr := s.LocalResponse(); lr != nil {
		return lr.Status
	}
	return 0
}

// fp is the lowercase hex SHA-256 of the certificate's DER.
func fp(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
