package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/certgate/certgate/internal/testmanager"
	"github.com/certgate/certgate/manager/xds"
	"github.com/certgate/certgate/wasmtest"
)

// propagationChanges is the number of certificate uploads one op measures.
const propagationChanges = 200

// BenchmarkPropagation measures, from the REST 2xx of a certificate upload,
// (a) the time until every filter gateway (wasmtest, long-polling the real
// manager) has applied the change to its shared data — from then on every
// request is decided with it — and (b) the time until every xDS gateway (a
// real ADS gRPC stream, ACKing like Envoy) receives the new truststore.
// p50/p99 are over every gateway × change.
func BenchmarkPropagation(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("filter/gateways=%d", n), func(b *testing.B) { benchFilterPropagation(b, n) })
	}
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("xds/gateways=%d", n), func(b *testing.B) { benchXDSPropagation(b, n) })
	}
}

func quantiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(lat)), "ns/delivery")
}

func benchFilterPropagation(b *testing.B, n int) {
	wasm := wasmtest.MustReadBuild(b, "certgate-filter.wasm")
	m := testmanager.Start(b, testmanager.Options{})
	apiID := m.CreateAPI("Bench", "/bench", "mutualssl")
	gws := make([]*gateway, n)
	for i := range gws {
		gws[i] = startGateway(b, wasm, m.Base(), 1)
	}
	v := m.ConfigVersion()
	for _, g := range gws {
		g.waitApplied(b, v)
	}
	certs := make([]string, 0)
	var lat []time.Duration
	b.ResetTimer()
	for op := 0; op < b.N; op++ {
		for i := 0; i < propagationChanges; i++ {
			b.StopTimer()
			cert := clientCert(b, "bench-"+strconv.Itoa(len(certs)))
			b.StartTimer()
			alias := "c" + strconv.Itoa(len(certs))
			certs = append(certs, alias)
			m.Upload(apiID, alias, "Gold", cert)
			start := time.Now() // the REST 2xx
			want := m.ConfigVersion()
			pending := n
			done := make([]bool, n)
			deadline := start.Add(10 * time.Second)
			for pending > 0 {
				for j, g := range gws {
					if done[j] {
						continue
					}
					if err := g.host.Pump(); err != nil {
						b.Fatal(err)
					}
					if g.applied() >= want {
						done[j] = true
						pending--
						lat = append(lat, time.Since(start))
					}
				}
				if time.Now().After(deadline) {
					b.Fatalf("change %d reached %d of %d gateways", want, n-pending, n)
				}
			}
		}
	}
	b.StopTimer()
	quantiles(b, lat)
}

type xdsDelivery struct {
	version uint64
	at      time.Time
}

func benchXDSPropagation(b *testing.B, n int) {
	m := testmanager.Start(b, testmanager.Options{XDS: true})
	apiID := m.CreateAPI("Bench", "/bench", "mutualssl")
	m.Upload(apiID, "seed", "Gold", clientCert(b, "seed"))

	deliveries := make(chan xdsDelivery, n*4)
	names := []string{xds.ClientTruststoreSecret}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{}, n)
	for g := 0; g < n; g++ {
		conn, err := grpc.NewClient(m.Srv.XDSAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
		if err != nil {
			b.Fatal(err)
		}
		node := &corev3.Node{Id: "gw-" + strconv.Itoa(g), Cluster: "Default"}
		if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: resource.SecretType, ResourceNames: names}); err != nil {
			b.Fatal(err)
		}
		go func() {
			first := true
			for {
				r, err := stream.Recv()
				if err != nil {
					return
				}
				at := time.Now()
				_ = stream.Send(&discovery.DiscoveryRequest{TypeUrl: r.GetTypeUrl(), ResourceNames: names,
					VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce()})
				if first {
					first = false
					ready <- struct{}{}
					continue
				}
				v, _ := strconv.ParseUint(r.GetVersionInfo(), 10, 64)
				deliveries <- xdsDelivery{version: v, at: at}
			}
		}()
	}
	for g := 0; g < n; g++ {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			b.Fatalf("only %d of %d xDS gateways got the first truststore", g, n)
		}
	}

	var lat []time.Duration
	seq := 0
	b.ResetTimer()
	for op := 0; op < b.N; op++ {
		for i := 0; i < propagationChanges; i++ {
			b.StopTimer()
			cert := clientCert(b, "x-"+strconv.Itoa(seq))
			b.StartTimer()
			m.Upload(apiID, "x"+strconv.Itoa(seq), "Gold", cert)
			seq++
			start := time.Now()
			want := m.ConfigVersion()
			for got := 0; got < n; {
				select {
				case d := <-deliveries:
					if d.version < want {
						continue // a gateway still catching up with an older version
					}
					lat = append(lat, d.at.Sub(start))
					got++
				case <-time.After(10 * time.Second):
					b.Fatalf("version %d reached %d of %d xDS gateways", want, got, n)
				}
			}
		}
	}
	b.StopTimer()
	quantiles(b, lat)
}
