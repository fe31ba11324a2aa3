package xds

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
)

// adsClient drives one ADS stream by hand, like an Envoy gateway would.
type adsClient struct {
	conn   *grpc.ClientConn
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *corev3.Node
	// nodeOnce sends the node on the first request only, like Envoy with
	// set_node_on_first_message_only (the certgate bootstrap sets it).
	nodeOnce bool
	sent     int
	resps    chan *discovery.DiscoveryResponse
	errs     chan error
	cancel   context.CancelFunc
}

// testNode is an Envoy node; env "" leaves the environment to the default.
func testNode(id, cluster, metaEnv string) *corev3.Node {
	n := &corev3.Node{Id: id, Cluster: cluster}
	if metaEnv != "" {
		n.Metadata = &structpb.Struct{Fields: map[string]*structpb.Value{NodeMetadataEnvKey: structpb.NewStringValue(metaEnv)}}
	}
	return n
}

func dialADS(tb testing.TB, addr string, node *corev3.Node) *adsClient {
	tb.Helper()
	return dialADSWith(tb, addr, node, insecure.NewCredentials())
}

func dialADSWith(tb testing.TB, addr string, node *corev3.Node, creds credentials.TransportCredentials) *adsClient {
	tb.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	c := &adsClient{conn: conn, stream: stream, node: node, resps: make(chan *discovery.DiscoveryResponse, 16), errs: make(chan error, 1), cancel: cancel}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				c.errs <- err
				return
			}
			c.resps <- r
		}
	}()
	tb.Cleanup(c.close)
	return c
}

func (c *adsClient) close() {
	c.cancel()
	_ = c.conn.Close()
}

// send sends a DiscoveryRequest; nack != "" sends it as a NACK.
func (c *adsClient) send(tb testing.TB, typeURL string, names []string, version, nonce, nack string) {
	tb.Helper()
	req := &discovery.DiscoveryRequest{Node: c.node, TypeUrl: typeURL, ResourceNames: names, VersionInfo: version, ResponseNonce: nonce}
	if c.nodeOnce && c.sent > 0 {
		req.Node = nil
	}
	c.sent++
	if nack != "" {
		req.ErrorDetail = &rpcstatus.Status{Code: 3, Message: nack}
	}
	if err := c.stream.Send(req); err != nil {
		tb.Fatal(err)
	}
}

// ack acknowledges resp, keeping the subscription to names.
func (c *adsClient) ack(tb testing.TB, resp *discovery.DiscoveryResponse, names []string) {
	tb.Helper()
	c.send(tb, resp.GetTypeUrl(), names, resp.GetVersionInfo(), resp.GetNonce(), "")
}

var errNoResponse = errors.New("no response")

// recv waits for the next response.
func (c *adsClient) recv(within time.Duration) (*discovery.DiscoveryResponse, error) {
	select {
	case r := <-c.resps:
		return r, nil
	case err := <-c.errs:
		return nil, err
	case <-time.After(within):
		return nil, errNoResponse
	}
}

func (c *adsClient) mustRecv(tb testing.TB, typeURL string) *discovery.DiscoveryResponse {
	tb.Helper()
	r, err := c.recv(5 * time.Second)
	if err != nil {
		tb.Fatalf("waiting for %s: %v", typeURL, err)
	}
	if r.GetTypeUrl() != typeURL {
		tb.Fatalf("got %s, want %s", r.GetTypeUrl(), typeURL)
	}
	return r
}

// startServer runs a Server on a loopback port for the test.
func startServer(tb testing.TB) *Server {
	tb.Helper()
	return startServerWith(tb, Options{}, nil)
}

func startServerWith(tb testing.TB, opts Options, tlsConfig *tls.Config) *Server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	s := NewServer(ctx, opts)
	if err := s.Start(ctx, "127.0.0.1:0", tlsConfig); err != nil {
		tb.Fatal(err)
	}
	return s
}
