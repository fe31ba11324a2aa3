package xds

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// snapshotSecret returns a secret of the snapshot by name.
func snapshotSecret(t *testing.T, s *cache.Snapshot, name string) *tlsv3.Secret {
	t.Helper()
	r, ok := s.GetResources(resource.SecretType)[name]
	if !ok {
		t.Fatalf("secret %q missing; have %v", name, keys(s.GetResources(resource.SecretType)))
	}
	return r.(*tlsv3.Secret)
}

func snapshotCluster(t *testing.T, s *cache.Snapshot, name string) *clusterv3.Cluster {
	t.Helper()
	r, ok := s.GetResources(resource.ClusterType)[name]
	if !ok {
		t.Fatalf("cluster %q missing; have %v", name, keys(s.GetResources(resource.ClusterType)))
	}
	return r.(*clusterv3.Cluster)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// upstreamTLSOf unpacks a cluster's UpstreamTlsContext (nil for plain text).
func upstreamTLSOf(t *testing.T, c *clusterv3.Cluster) *tlsv3.UpstreamTlsContext {
	t.Helper()
	if c.GetTransportSocket() == nil {
		return nil
	}
	if c.GetTransportSocket().GetName() != "envoy.transport_sockets.tls" {
		t.Fatalf("transport socket %q", c.GetTransportSocket().GetName())
	}
	var u tlsv3.UpstreamTlsContext
	if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(&u); err != nil {
		t.Fatal(err)
	}
	return &u
}

func TestTranslateTruststore(t *testing.T) {
	ca := newCert(t, "client-ca", true, nil)
	issued := newCert(t, "issued", false, &ca)
	selfSigned := newCert(t, "pinned-self", false, nil)
	tests := []struct {
		name  string
		trust []TrustedCert
		want  [][]byte
	}{
		{"ok/empty", nil, nil},
		{"ok/ca-and-pinned", []TrustedCert{{DER: ca.der, Kind: CertCA}, {DER: selfSigned.der, Kind: CertPinned}, {DER: issued.der, Kind: CertPinned}},
			[][]byte{ca.der, selfSigned.der, issued.der}},
		{"ok/duplicate-across-apis", []TrustedCert{{DER: ca.der, Kind: CertCA}, {DER: ca.der, Kind: CertCA}}, [][]byte{ca.der}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := Translate(Environment{Name: "Default", ClientTrust: tc.trust}, "7")
			if err != nil {
				t.Fatal(err)
			}
			if v := snap.GetVersion(resource.SecretType); v != "7" {
				t.Fatalf("version %q", v)
			}
			vc := snapshotSecret(t, snap, ClientTruststoreSecret).GetValidationContext()
			if vc == nil {
				t.Fatal("truststore is not a validation context")
			}
			if vc.GetTrustChainVerification() != tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED {
				t.Fatalf("trust_chain_verification %v", vc.GetTrustChainVerification())
			}
			if len(vc.GetVerifyCertificateHash()) != 0 {
				t.Fatal("verify_certificate_hash must stay empty (it would fail CA-issued certificates)")
			}
			got := pemDERs(t, vc.GetTrustedCa().GetInlineBytes())
			if len(got) != len(tc.want) {
				t.Fatalf("trusted_ca has %d certificates, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.want[i]) {
					t.Fatalf("certificate %d differs", i)
				}
			}
		})
	}
}

func TestTranslateBackend(t *testing.T) {
	ca := newCert(t, "backend-ca", true, nil)
	client := newCert(t, "gateway", false, &ca)
	other := newCert(t, "other", false, nil)
	mtls := func(mod func(*BackendTLS)) *BackendTLS {
		b := &BackendTLS{TrustedCAs: [][]byte{ca.der}, ClientCertPEM: client.certPEM(), ClientKeyPEM: client.keyPEM(t),
			SNI: "backend.example.com", MinVersion: "1.2", MaxVersion: "TLSv1_3"}
		if mod != nil {
			mod(b)
		}
		return b
	}
	type want struct {
		sni        string
		sans       []string // exact SAN matchers, "DNS:x" or "IP_ADDRESS:x"
		clientCert bool
		discovery  clusterv3.Cluster_DiscoveryType
		minTLS     tlsv3.TlsParameters_TlsProtocol
	}
	tests := []struct {
		name    string
		cluster BackendCluster
		want    *want  // nil for plain text
		wantErr string // substring
	}{
		{name: "ok/mtls-strict-sni", cluster: BackendCluster{Name: "pizza", Endpoints: []HostPort{{"backend.internal", 8443}}, TLS: mtls(nil)},
			want: &want{sni: "backend.example.com", sans: []string{"DNS:backend.example.com"}, clientCert: true, discovery: clusterv3.Cluster_STRICT_DNS, minTLS: tlsv3.TlsParameters_TLSv1_2}},
		{name: "ok/strict-no-sni-uses-hosts", cluster: BackendCluster{Name: "ip", Endpoints: []HostPort{{"10.0.0.1", 443}, {"10.0.0.2", 443}},
			TLS: mtls(func(b *BackendTLS) { b.SNI, b.MinVersion, b.MaxVersion = "", "", "" })},
			want: &want{sans: []string{"IP_ADDRESS:10.0.0.1", "IP_ADDRESS:10.0.0.2"}, clientCert: true, discovery: clusterv3.Cluster_STATIC}},
		{name: "ok/allow-all-one-way", cluster: BackendCluster{Name: "loose", Endpoints: []HostPort{{"b.example", 443}},
			TLS: mtls(func(b *BackendTLS) {
				b.HostnameVerification, b.ClientCertPEM, b.ClientKeyPEM = HostnameAllowAll, nil, nil
			})},
			want: &want{sni: "backend.example.com", discovery: clusterv3.Cluster_STRICT_DNS, minTLS: tlsv3.TlsParameters_TLSv1_2}},
		{name: "ok/plain-text", cluster: BackendCluster{Name: "plain", Endpoints: []HostPort{{"127.0.0.1", 8080}}}},
		{name: "fail/no-servers", cluster: BackendCluster{Name: "x"}, wantErr: "no servers"},
		{name: "fail/bad-name", cluster: BackendCluster{Name: "a/b", Endpoints: []HostPort{{"h", 1}}}, wantErr: "only letters"},
		{name: "fail/bad-port", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 70000}}}, wantErr: "bad server"},
		{name: "fail/unverified-with-client-cert", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.TrustedCAs, b.Unverified = nil, true })}, wantErr: "trust store is required"},
		{name: "fail/no-trust-store", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.TrustedCAs = nil })}, wantErr: "trust store is required"},
		{name: "fail/bad-trust-der", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.TrustedCAs = [][]byte{{1, 2}} })}, wantErr: "trust store certificate 0"},
		{name: "fail/cert-without-key", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.ClientKeyPEM = nil })}, wantErr: "go together"},
		{name: "fail/key-mismatch", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.ClientKeyPEM = other.keyPEM(t) })}, wantErr: "client key store"},
		{name: "fail/tls-version", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.MinVersion = "1.4" })}, wantErr: "unknown TLS version"},
		{name: "fail/min-above-max", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.MinVersion, b.MaxVersion = "1.3", "1.2" })}, wantErr: "above max"},
		{name: "fail/hostname-mode", cluster: BackendCluster{Name: "x", Endpoints: []HostPort{{"h", 1}}, TLS: mtls(func(b *BackendTLS) { b.HostnameVerification = "AllowAll" })}, wantErr: "hostname verification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := Translate(Environment{Clusters: []BackendCluster{tc.cluster}}, "1")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidEnvironment) {
					t.Fatalf("err = %v, want ErrInvalidEnvironment containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "PRIVATE KEY") {
					t.Fatal("error leaks key material")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := snapshotCluster(t, snap, BackendClusterName(tc.cluster.Name))
			if got := len(c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()); got != len(tc.cluster.Endpoints) {
				t.Fatalf("%d endpoints", got)
			}
			u := upstreamTLSOf(t, c)
			if tc.want == nil {
				if u != nil {
					t.Fatal("plain-text backend got TLS")
				}
				if n := len(snap.GetResources(resource.SecretType)); n != 1 {
					t.Fatalf("%d secrets, want only the truststore", n)
				}
				return
			}
			if c.GetType() != tc.want.discovery {
				t.Fatalf("discovery %v, want %v", c.GetType(), tc.want.discovery)
			}
			if u.GetSni() != tc.want.sni {
				t.Fatalf("SNI %q, want %q", u.GetSni(), tc.want.sni)
			}
			if got := u.GetCommonTlsContext().GetTlsParams().GetTlsMinimumProtocolVersion(); got != tc.want.minTLS {
				t.Fatalf("min TLS %v, want %v", got, tc.want.minTLS)
			}
			combined := u.GetCommonTlsContext().GetCombinedValidationContext()
			var sans []string
			for _, m := range combined.GetDefaultValidationContext().GetMatchTypedSubjectAltNames() {
				sans = append(sans, m.GetSanType().String()+":"+m.GetMatcher().GetExact())
			}
			if strings.Join(sans, ",") != strings.Join(tc.want.sans, ",") {
				t.Fatalf("SAN matchers %v, want %v", sans, tc.want.sans)
			}
			trustName := combined.GetValidationContextSdsSecretConfig().GetName()
			if trustName != BackendTrustSecretName(tc.cluster.Name) || combined.GetValidationContextSdsSecretConfig().GetSdsConfig().GetAds() == nil {
				t.Fatalf("trust SDS config %v", combined.GetValidationContextSdsSecretConfig())
			}
			trust := pemDERs(t, snapshotSecret(t, snap, trustName).GetValidationContext().GetTrustedCa().GetInlineBytes())
			if len(trust) != 1 || !bytes.Equal(trust[0], ca.der) {
				t.Fatal("trust secret does not hold the backend CA")
			}
			sds := u.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()
			if !tc.want.clientCert {
				if len(sds) != 0 {
					t.Fatal("one-way TLS presents a client certificate")
				}
				return
			}
			if len(sds) != 1 || sds[0].GetName() != BackendClientSecretName(tc.cluster.Name) {
				t.Fatalf("client certificate SDS configs %v", sds)
			}
			tc := snapshotSecret(t, snap, sds[0].GetName()).GetTlsCertificate()
			if !bytes.Equal(tc.GetCertificateChain().GetInlineBytes(), client.certPEM()) || len(tc.GetPrivateKey().GetInlineBytes()) == 0 {
				t.Fatal("client secret does not hold the key store")
			}
		})
	}
}

func TestTranslateEnvironmentErrors(t *testing.T) {
	ok := BackendCluster{Name: "a", Endpoints: []HostPort{{"h", 80}}}
	tests := []struct {
		name    string
		env     Environment
		version string
		wantErr string
	}{
		{"fail/empty-version", Environment{}, "", "empty version"},
		{"fail/duplicate-backend", Environment{Clusters: []BackendCluster{ok, ok}}, "1", "duplicate backend"},
		{"fail/bad-client-cert", Environment{ClientTrust: []TrustedCert{{DER: []byte("nope")}}}, "1", "client certificate 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Translate(tc.env, tc.version)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestTranslateIsDeterministic(t *testing.T) {
	ca := newCert(t, "ca", true, nil)
	env := Environment{ClientTrust: []TrustedCert{{DER: ca.der, Kind: CertCA}}, Clusters: []BackendCluster{
		{Name: "b", Endpoints: []HostPort{{"b.example", 443}}, TLS: &BackendTLS{TrustedCAs: [][]byte{ca.der}}},
		{Name: "a", Endpoints: []HostPort{{"a.example", 80}}},
	}}
	s1, err := Translate(env, "3")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Translate(env, "3")
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.ConstructVersionMap(); err != nil {
		t.Fatal(err)
	}
	if err := s2.ConstructVersionMap(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{resource.SecretType, resource.ClusterType} {
		m1, m2 := s1.GetVersionMap(typ), s2.GetVersionMap(typ)
		if len(m1) == 0 || len(m1) != len(m2) {
			t.Fatalf("%s: %d vs %d resources", typ, len(m1), len(m2))
		}
		for k, v := range m1 {
			if m2[k] != v {
				t.Fatalf("%s %s: hash differs between two translations", typ, k)
			}
		}
	}
}
