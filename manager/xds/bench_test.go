package xds

import (
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// propagationChanges is how many certificate changes one benchmark op makes.
const propagationChanges = 200

// BenchmarkXDSPropagation measures the time from Update (a certificate added
// to the truststore) to every simulated gateway receiving the new secret
// version over its own ADS connection, which it ACKs at once like Envoy.
// One op = 200 changes; p50/p99 are over every (change, gateway) delivery.
func BenchmarkXDSPropagation(b *testing.B) {
	for _, gateways := range []int{1, 100} {
		b.Run(fmt.Sprintf("gateways=%d", gateways), func(b *testing.B) {
			benchPropagation(b, gateways)
		})
	}
}

type delivery struct {
	version uint64
	at      time.Time
}

func benchPropagation(b *testing.B, gateways int) {
	s := startServer(b)
	ca := newCert(b, "client-ca", true, nil)
	pinned := make([][]byte, propagationChanges)
	for i := range pinned {
		pinned[i] = newCert(b, "client-"+strconv.Itoa(i), false, nil).der
	}
	env := func(i int) Environment {
		return Environment{ClientTrust: []TrustedCert{{DER: ca.der, Kind: CertCA}, {DER: pinned[i%len(pinned)]}}}
	}
	version := uint64(1)
	if err := s.Update(env(0), version); err != nil {
		b.Fatal(err)
	}

	names := []string{ClientTruststoreSecret}
	deliveries := make(chan delivery, gateways*4)
	for g := 0; g < gateways; g++ {
		c := dialADS(b, s.Addr().String(), testNode("gw-"+strconv.Itoa(g), "", ""))
		c.send(b, resource.SecretType, names, "", "", "")
		c.ack(b, c.mustRecv(b, resource.SecretType), names)
		go func() {
			for {
				select {
				case r := <-c.resps:
					at := time.Now()
					// ACK (no b.Fatal off the benchmark goroutine; a send error ends the stream).
					_ = c.stream.Send(&discovery.DiscoveryRequest{Node: c.node, TypeUrl: r.GetTypeUrl(), ResourceNames: names,
						VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce()})
					v, _ := strconv.ParseUint(r.GetVersionInfo(), 10, 64)
					deliveries <- delivery{version: v, at: at}
				case <-c.errs:
					return
				}
			}
		}()
	}

	var lat []time.Duration
	b.ResetTimer()
	for op := 0; op < b.N; op++ {
		for i := 0; i < propagationChanges; i++ {
			version++
			start := time.Now()
			if err := s.Update(env(i+1), version); err != nil {
				b.Fatal(err)
			}
			for got := 0; got < gateways; {
				select {
				case d := <-deliveries:
					if d.version != version {
						b.Fatalf("gateway got version %d during change %d", d.version, version)
					}
					lat = append(lat, d.at.Sub(start))
					got++
				case <-time.After(10 * time.Second):
					b.Fatalf("version %d reached %d of %d gateways", version, got, gateways)
				}
			}
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*propagationChanges), "ns/change")
}
