package xds

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// secretsOf unpacks a Secret response by name.
func secretsOf(t *testing.T, r *discovery.DiscoveryResponse) map[string]*tlsv3.Secret {
	t.Helper()
	out := map[string]*tlsv3.Secret{}
	for _, a := range r.GetResources() {
		var s tlsv3.Secret
		if err := a.UnmarshalTo(&s); err != nil {
			t.Fatal(err)
		}
		out[s.GetName()] = &s
	}
	return out
}

func clustersOf(t *testing.T, r *discovery.DiscoveryResponse) map[string]*clusterv3.Cluster {
	t.Helper()
	out := map[string]*clusterv3.Cluster{}
	for _, a := range r.GetResources() {
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		out[c.GetName()] = &c
	}
	return out
}

// truststoreDERs returns the certificates of the served client truststore.
func truststoreDERs(t *testing.T, r *discovery.DiscoveryResponse) [][]byte {
	t.Helper()
	s, ok := secretsOf(t, r)[ClientTruststoreSecret]
	if !ok {
		t.Fatalf("response has no %s", ClientTruststoreSecret)
	}
	return pemDERs(t, s.GetValidationContext().GetTrustedCa().GetInlineBytes())
}

func containsDER(list [][]byte, der []byte) bool {
	for _, d := range list {
		if bytes.Equal(d, der) {
			return true
		}
	}
	return false
}

// waitNode polls Nodes() until cond holds for the node's stream.
func waitNode(t *testing.T, s *Server, nodeID string, cond func(NodeStatus) bool) NodeStatus {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	var last []NodeStatus
	for time.Now().Before(deadline) {
		last = s.Nodes()
		for _, n := range last {
			if n.NodeID == nodeID && n.Connected && cond(n) {
				return n
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("node %s never reached the wanted state; nodes: %+v", nodeID, last)
	return NodeStatus{}
}

func TestADSTruststoreBackendsAndUpdate(t *testing.T) {
	s := startServer(t)
	clientCA := newCert(t, "client-ca", true, nil)
	backendCA := newCert(t, "backend-ca", true, nil)
	gwCert := newCert(t, "gateway", false, &backendCA)
	env := Environment{
		ClientTrust: []TrustedCert{{DER: clientCA.der, Kind: CertCA}},
		Clusters: []BackendCluster{{Name: "pizza", Endpoints: []HostPort{{"pizza.internal", 9443}}, TLS: &BackendTLS{
			TrustedCAs: [][]byte{backendCA.der}, ClientCertPEM: gwCert.certPEM(), ClientKeyPEM: gwCert.keyPEM(t),
			SNI: "pizza.example.com", MinVersion: "1.2",
		}}},
	}
	if err := s.Update(env, 1); err != nil {
		t.Fatal(err)
	}

	c := dialADS(t, s.Addr().String(), testNode("gw-1", "", ""))
	c.send(t, resource.ClusterType, nil, "", "", "")
	cr := c.mustRecv(t, resource.ClusterType)
	if cr.GetVersionInfo() != "1" {
		t.Fatalf("cluster version %q", cr.GetVersionInfo())
	}
	cl, ok := clustersOf(t, cr)[BackendClusterName("pizza")]
	if !ok || len(cr.GetResources()) != 1 {
		t.Fatalf("clusters %v", clustersOf(t, cr))
	}
	u := upstreamTLSOf(t, cl)
	if u.GetSni() != "pizza.example.com" {
		t.Fatalf("SNI %q", u.GetSni())
	}
	combined := u.GetCommonTlsContext().GetCombinedValidationContext()
	sans := combined.GetDefaultValidationContext().GetMatchTypedSubjectAltNames()
	if len(sans) != 1 || sans[0].GetSanType() != tlsv3.SubjectAltNameMatcher_DNS || sans[0].GetMatcher().GetExact() != "pizza.example.com" {
		t.Fatalf("SAN matchers %v", sans)
	}
	secretNames := []string{ClientTruststoreSecret, combined.GetValidationContextSdsSecretConfig().GetName()}
	for _, sds := range u.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		secretNames = append(secretNames, sds.GetName())
	}
	if len(secretNames) != 3 {
		t.Fatalf("secret names %v", secretNames)
	}
	c.ack(t, cr, nil)

	c.send(t, resource.SecretType, secretNames, "", "", "")
	sr := c.mustRecv(t, resource.SecretType)
	got := secretsOf(t, sr)
	if len(got) != 3 {
		t.Fatalf("got secrets %v", keys(got))
	}
	if pemDERs(t, got[BackendTrustSecretName("pizza")].GetValidationContext().GetTrustedCa().GetInlineBytes())[0] == nil {
		t.Fatal("backend trust secret empty")
	}
	if ders := truststoreDERs(t, sr); len(ders) != 1 || !bytes.Equal(ders[0], clientCA.der) {
		t.Fatal("truststore v1 should hold the client CA only")
	}
	c.ack(t, sr, secretNames)
	n := waitNode(t, s, "gw-1", func(n NodeStatus) bool { return n.AckedVersion == 1 })
	if n.Environment != DefaultEnvironment || n.Acked["Secret"] != "1" || n.Acked["Cluster"] != "1" || n.LastNACK != nil {
		t.Fatalf("node status %+v", n)
	}

	// A certificate upload: a pinned leaf joins the truststore.
	pinned := newCert(t, "pinned-client", false, nil)
	env.ClientTrust = append(env.ClientTrust, TrustedCert{DER: pinned.der, Kind: CertPinned})
	if err := s.Update(env, 2); err != nil {
		t.Fatal(err)
	}
	byType := map[string]*discovery.DiscoveryResponse{}
	for len(byType) < 2 {
		r, err := c.recv(5 * time.Second)
		if err != nil {
			t.Fatalf("after update: %v (have %v)", err, keys(byType))
		}
		byType[r.GetTypeUrl()] = r
	}
	sr2 := byType[resource.SecretType]
	if sr2.GetVersionInfo() != "2" {
		t.Fatalf("secret version %q", sr2.GetVersionInfo())
	}
	ders := truststoreDERs(t, sr2)
	if len(ders) != 2 || !containsDER(ders, pinned.der) || !containsDER(ders, clientCA.der) {
		t.Fatal("truststore v2 should hold the CA and the new pinned certificate")
	}
	c.ack(t, byType[resource.ClusterType], nil)
	c.ack(t, sr2, secretNames)
	waitNode(t, s, "gw-1", func(n NodeStatus) bool { return n.AckedVersion == 2 })
}

// A gateway that subscribes to the truststore alone gets it even when the
// environment has backend secrets (the reason the cache is not in ADS mode).
func TestADSTruststoreOnlySubscriber(t *testing.T) {
	s := startServer(t)
	ca := newCert(t, "ca", true, nil)
	env := Environment{ClientTrust: []TrustedCert{{DER: ca.der, Kind: CertCA}}, Clusters: []BackendCluster{
		{Name: "b", Endpoints: []HostPort{{"b.example", 443}}, TLS: &BackendTLS{TrustedCAs: [][]byte{ca.der}}},
	}}
	if err := s.Update(env, 4); err != nil {
		t.Fatal(err)
	}
	c := dialADS(t, s.Addr().String(), testNode("gw-static", "", ""))
	c.send(t, resource.SecretType, []string{ClientTruststoreSecret}, "", "", "")
	r := c.mustRecv(t, resource.SecretType)
	if got := secretsOf(t, r); len(got) != 1 || got[ClientTruststoreSecret] == nil {
		t.Fatalf("got %v", keys(got))
	}
}

func TestADSNACK(t *testing.T) {
	s := startServer(t)
	a := newCert(t, "a", false, nil)
	env := Environment{ClientTrust: []TrustedCert{{DER: a.der}}}
	if err := s.Update(env, 1); err != nil {
		t.Fatal(err)
	}
	names := []string{ClientTruststoreSecret}
	c := dialADS(t, s.Addr().String(), testNode("gw-nack", "Prod", DefaultEnvironment))
	c.nodeOnce = true
	c.send(t, resource.SecretType, names, "", "", "")
	r1 := c.mustRecv(t, resource.SecretType)
	// Envoy rejects it: version_info stays at what it had (none), nonce of r1.
	c.send(t, resource.SecretType, names, "", r1.GetNonce(), "Failed to load trusted CA certificates")

	if r, err := c.recv(300 * time.Millisecond); !errors.Is(err, errNoResponse) {
		t.Fatalf("rejected version was resent: %v %v", r.GetVersionInfo(), err)
	}
	n := waitNode(t, s, "gw-nack", func(n NodeStatus) bool { return n.LastNACK != nil })
	if n.LastNACK.Version != "1" || n.LastNACK.Type != "Secret" || n.LastNACK.Message != "Failed to load trusted CA certificates" || n.AckedVersion != 0 {
		t.Fatalf("status after NACK %+v nack %+v", n, n.LastNACK)
	}

	b := newCert(t, "b", false, nil)
	env.ClientTrust = []TrustedCert{{DER: b.der}}
	if err := s.Update(env, 2); err != nil {
		t.Fatal(err)
	}
	r2 := c.mustRecv(t, resource.SecretType)
	if r2.GetVersionInfo() != "2" || !containsDER(truststoreDERs(t, r2), b.der) {
		t.Fatalf("after NACK got version %q", r2.GetVersionInfo())
	}
	c.ack(t, r2, names)
	waitNode(t, s, "gw-nack", func(n NodeStatus) bool { return n.AckedVersion == 2 && n.Acked["Secret"] == "2" })
}

func TestADSEnvironments(t *testing.T) {
	s := startServer(t)
	def := newCert(t, "default", false, nil)
	prod := newCert(t, "prod", false, nil)
	if err := s.Update(Environment{Name: DefaultEnvironment, ClientTrust: []TrustedCert{{DER: def.der}}}, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(Environment{Name: "Prod", ClientTrust: []TrustedCert{{DER: prod.der}}}, 3); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cluster string
		metaEnv string
		version string
		want    []byte
	}{
		{"ok/cluster-field", "Prod", "", "3", prod.der},
		{"ok/metadata-wins", "Prod", "Default", "5", def.der},
		{"ok/default", "", "", "5", def.der},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialADS(t, s.Addr().String(), testNode(tc.name, tc.cluster, tc.metaEnv))
			c.send(t, resource.SecretType, []string{ClientTruststoreSecret}, "", "", "")
			r := c.mustRecv(t, resource.SecretType)
			if ders := truststoreDERs(t, r); r.GetVersionInfo() != tc.version || len(ders) != 1 || !bytes.Equal(ders[0], tc.want) {
				t.Fatalf("version %q, wrong truststore", r.GetVersionInfo())
			}
		})
	}

	t.Run("ok/unknown-env-waits-for-its-first-snapshot", func(t *testing.T) {
		c := dialADS(t, s.Addr().String(), testNode("gw-staging", "Staging", ""))
		c.send(t, resource.SecretType, []string{ClientTruststoreSecret}, "", "", "")
		if _, err := c.recv(200 * time.Millisecond); !errors.Is(err, errNoResponse) {
			t.Fatalf("got a response before Staging had a snapshot: %v", err)
		}
		if err := s.Update(Environment{Name: "Staging"}, 1); err != nil {
			t.Fatal(err)
		}
		if r := c.mustRecv(t, resource.SecretType); r.GetVersionInfo() != "1" {
			t.Fatalf("version %q", r.GetVersionInfo())
		}
	})
}

// A gateway reconnecting with the current version is listed with that version
// at once; its old stream is listed as disconnected.
func TestADSReconnect(t *testing.T) {
	s := startServer(t)
	if err := s.Update(Environment{}, 9); err != nil {
		t.Fatal(err)
	}
	names := []string{ClientTruststoreSecret}
	c1 := dialADS(t, s.Addr().String(), testNode("gw-r", "", ""))
	c1.send(t, resource.SecretType, names, "", "", "")
	c1.ack(t, c1.mustRecv(t, resource.SecretType), names)
	waitNode(t, s, "gw-r", func(n NodeStatus) bool { return n.AckedVersion == 9 })
	c1.close()

	c2 := dialADS(t, s.Addr().String(), testNode("gw-r", "", ""))
	c2.send(t, resource.SecretType, names, "9", "", "")
	// The reported version is listed at once (the gateway runs it)...
	waitNode(t, s, "gw-r", func(n NodeStatus) bool { return n.Acked["Secret"] == "9" })
	// ...and the new stream gets the same version again (a fresh stream has no
	// record of what the gateway holds), which it ACKs.
	r := c2.mustRecv(t, resource.SecretType)
	if r.GetVersionInfo() != "9" {
		t.Fatalf("version %q", r.GetVersionInfo())
	}
	c2.ack(t, r, names)
	cur := waitNode(t, s, "gw-r", func(n NodeStatus) bool { return n.AckedVersion == 9 })
	// The server learns of the first stream's end asynchronously: wait for it.
	closed := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		closed = 0
		for _, n := range s.Nodes() {
			if n.NodeID == "gw-r" && !n.Connected {
				closed++
			}
		}
		if closed >= 1 {
			break
		}
	}
	if closed != 1 || cur.Address == "" {
		t.Fatalf("closed streams %d, current %+v", closed, cur)
	}
}

func TestUpdateVersions(t *testing.T) {
	s := NewServer(t.Context(), Options{})
	if err := s.Update(Environment{Name: "E"}, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(Environment{Name: "E"}, 2); err != nil {
		t.Fatalf("same version again: %v", err)
	}
	if err := s.Update(Environment{Name: "E"}, 1); !errors.Is(err, ErrStaleVersion) {
		t.Fatalf("older version: %v", err)
	}
	bad := Environment{Name: "E", Clusters: []BackendCluster{{Name: "x"}}}
	if err := s.Update(bad, 3); !errors.Is(err, ErrInvalidEnvironment) {
		t.Fatalf("invalid environment: %v", err)
	}
	if v, _ := s.Version("E"); v != 2 {
		t.Fatalf("version %d after a failed update", v)
	}
	if _, ok := s.Version("Other"); ok {
		t.Fatal("an environment never updated has a version")
	}
}

func TestNodeRetention(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := newNodeTracker(func() time.Time { return now }, time.Minute, nil)
	if err := tr.OnStreamOpen(t.Context(), 1, ""); err != nil {
		t.Fatal(err)
	}
	tr.OnStreamClosed(1, nil)
	if len(tr.list()) != 1 {
		t.Fatal("closed stream should be listed within the retention")
	}
	now = now.Add(2 * time.Minute)
	if len(tr.list()) != 0 {
		t.Fatal("closed stream should be forgotten after the retention")
	}
}

func TestEnvironmentOf(t *testing.T) {
	tests := []struct {
		name             string
		cluster, metaEnv string
		want             string
	}{
		{"ok/none", "", "", "Default"},
		{"ok/cluster", "Prod", "", "Prod"},
		{"ok/metadata", "", "Sandbox", "Sandbox"},
		{"ok/metadata-over-cluster", "istio-ingressgateway.istio-system", "Prod", "Prod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EnvironmentOf(testNode("n", tc.cluster, tc.metaEnv)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := EnvironmentOf(nil); got != DefaultEnvironment {
		t.Fatalf("nil node: %q", got)
	}
}

// The xDS port can require mutual TLS (backend client keys travel in SDS
// secrets); OnAck reports each ACK.
func TestADSOverMutualTLSAndOnAck(t *testing.T) {
	ca := newCert(t, "xds-ca", true, nil)
	serverCert := newCert(t, "xds", false, &ca, "127.0.0.1")
	gwCert := newCert(t, "gw-tls", false, &ca)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	pair := func(c testCert) tls.Certificate {
		kp, err := tls.X509KeyPair(c.certPEM(), c.keyPEM(t))
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	acks := make(chan Ack, 4)
	s := startServerWith(t, Options{OnAck: func(a Ack) { acks <- a }}, &tls.Config{
		Certificates: []tls.Certificate{pair(serverCert)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS13,
	})
	if err := s.Update(Environment{}, 1); err != nil {
		t.Fatal(err)
	}
	names := []string{ClientTruststoreSecret}

	t.Run("fail/no-client-certificate", func(t *testing.T) {
		conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(
			credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13})))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
		if err == nil {
			_ = stream.Send(&discovery.DiscoveryRequest{Node: testNode("gw-anon", "", ""), TypeUrl: resource.SecretType, ResourceNames: names})
			_, err = stream.Recv()
		}
		// The handshake fails: "certificate required", or a broken pipe when
		// the server closes first. Either way no stream.
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("a gateway without a client certificate: %v", err)
		}
	})
	t.Run("ok/mutual-tls", func(t *testing.T) {
		c := dialADSWith(t, s.Addr().String(), testNode("gw-tls", "", ""),
			credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair(gwCert)}, MinVersion: tls.VersionTLS13}))
		c.send(t, resource.SecretType, names, "", "", "")
		c.ack(t, c.mustRecv(t, resource.SecretType), names)
		select {
		case a := <-acks:
			if a != (Ack{NodeID: "gw-tls", Environment: DefaultEnvironment, Type: "Secret", Version: "1"}) {
				t.Fatalf("ack %+v", a)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("OnAck was not called")
		}
	})
}
