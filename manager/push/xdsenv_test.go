package push

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/store/badgerstore"
	"github.com/certgate/certgate/manager/xds"
)

// xdsFixture is a committed state with APIs in two environments, client
// certificates, and two backend profiles.
type xdsFixture struct {
	state        domain.ConfigState
	pinned, ca   domain.ClientCertificate
	backendCA    *testcerts.Cert
	clientKey    *ecdsa.PrivateKey
	clientLeaf   *x509.Certificate
	stagingCert  domain.ClientCertificate
	removedAlias string
}

func newXDSFixture(t *testing.T) xdsFixture {
	t.Helper()
	api := func(id, name, version, endpoint string, envs ...string) domain.API {
		a := domain.API{ID: id, Name: name, Version: version, Context: "/" + strings.ReplaceAll(strings.ToLower(name), " ", "-"), ProductionEndpoint: endpoint, GatewayEnvironments: envs}
		a.Normalize()
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
		return a
	}
	cert := func(apiID, alias string, typ domain.CertType, c *testcerts.Cert) domain.ClientCertificate {
		cc := domain.ClientCertificate{APIID: apiID, Alias: alias, Tier: "Gold", Type: typ}
		cc.Describe(c.Cert)
		return cc
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	backendCA := testcerts.New(testcerts.Spec{CommonName: "Backend CA", IsCA: true})
	client := testcerts.New(testcerts.Spec{CommonName: "gateway", Key: key, Parent: backendCA})
	ks, err := domain.DecodeKeyStore(append(testcerts.PEM(client.Cert.Raw), testcerts.KeyPEM(key)...), nil, "", client.Cert.NotBefore.Add(1))
	if err != nil {
		t.Fatal(err)
	}
	trust := []domain.TrustedCertificate{domain.NewTrustedCertificate(backendCA.Cert)}

	f := xdsFixture{backendCA: backendCA, clientKey: key, clientLeaf: client.Cert, removedAlias: "gone"}
	f.state = domain.ConfigState{
		Version: 9,
		APIs: []domain.API{
			api("1-orders", "Orders API", "1.0.0", "https://Orders.Example.com/v1"),            // profile "orders": mTLS, SNI
			api("2-menu", "Menu", "2", "http://10.0.0.7:8080/menu"),                            // plain text
			api("3-pay", "Pay", "1", "https://pay.example.com:8443/"),                          // https, no profile
			api("4-stage", "Stage", "1", "https://stage.example.com/", "Staging"),              // Staging only
			api("5-legacy", "Legacy", "1", "http://legacy.example.com:9000/", "Default", "QA"), // profile "legacy": http endpoint listed → TLS
			api("6-orders", "Orders API", "1.0.0", "http://127.0.0.1:9/"),                      // same name+version as 1-orders (other context)
		},
		BackendProfiles: []domain.BackendProfile{
			{Name: "orders", Servers: []string{"orders.example.com:443"}, TrustStore: trust, KeyStore: ks,
				HostnameVerification: domain.HostnameStrict, SNI: "orders.internal", TLSMinVersion: domain.TLSv12, TLSMaxVersion: domain.TLSv13},
			{Name: "legacy", Servers: []string{"legacy.example.com:9000"}, TrustStore: trust, HostnameVerification: domain.HostnameAllowAll},
		},
	}
	f.state.APIs[5].Context = "/orders-copy"
	leaf := testcerts.New(testcerts.Spec{CommonName: "client-a"})
	team := testcerts.New(testcerts.Spec{CommonName: "Team CA", IsCA: true})
	f.pinned = cert("1-orders", "a", domain.CertTypeClient, leaf)
	f.ca = cert("2-menu", "team", domain.CertTypeCA, team)
	removed := cert("1-orders", f.removedAlias, domain.CertTypeClient, testcerts.New(testcerts.Spec{CommonName: "removed"}))
	removed.Removed = true
	f.stagingCert = cert("4-stage", "s", domain.CertTypeClient, testcerts.New(testcerts.Spec{CommonName: "staging-client"}))
	f.state.Certificates = []domain.ClientCertificate{f.pinned, f.ca, removed, f.stagingCert}
	return f
}

func TestXDSEnvironment(t *testing.T) {
	f := newXDSFixture(t)
	type wantCluster struct {
		host string
		port uint32
		tls  string // "", "unverified", "mtls", "one-way"
		sni  string
		hv   string
	}
	cases := []struct {
		name     string
		env      string
		trust    [][]byte
		kinds    []xds.CertKind
		clusters map[string]wantCluster
	}{
		{name: "ok/default", env: "Default",
			trust: [][]byte{f.pinned.DER, f.ca.DER}, kinds: []xds.CertKind{xds.CertPinned, xds.CertCA},
			clusters: map[string]wantCluster{
				"orders-api-1.0.0":         {host: "orders.example.com", port: 443, tls: "mtls", sni: "orders.internal", hv: domain.HostnameStrict},
				"menu-2":                   {host: "10.0.0.7", port: 8080},
				"pay-1":                    {host: "pay.example.com", port: 8443, tls: "unverified", sni: "pay.example.com"},
				"legacy-1":                 {host: "legacy.example.com", port: 9000, tls: "one-way", sni: "legacy.example.com", hv: domain.HostnameAllowAll},
				"orders-api-1.0.0-6orders": {host: "127.0.0.1", port: 9},
			}},
		{name: "ok/staging-only-its-api", env: "Staging",
			trust: [][]byte{f.stagingCert.DER}, kinds: []xds.CertKind{xds.CertPinned},
			clusters: map[string]wantCluster{"stage-1": {host: "stage.example.com", port: 443, tls: "unverified", sni: "stage.example.com"}}},
		{name: "ok/qa-shares-legacy", env: "QA",
			clusters: map[string]wantCluster{"legacy-1": {host: "legacy.example.com", port: 9000, tls: "one-way", sni: "legacy.example.com", hv: domain.HostnameAllowAll}}},
		{name: "ok/unknown-env-empty", env: "Prod", clusters: map[string]wantCluster{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := XDSEnvironment(f.state, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if env.Name != tc.env || len(env.ClientTrust) != len(tc.trust) {
				t.Fatalf("env %q with %d trusted certs, want %d", env.Name, len(env.ClientTrust), len(tc.trust))
			}
			for i, c := range env.ClientTrust {
				if !bytes.Equal(c.DER, tc.trust[i]) || c.Kind != tc.kinds[i] {
					t.Fatalf("client trust %d: kind %v", i, c.Kind)
				}
			}
			if len(env.Clusters) != len(tc.clusters) {
				t.Fatalf("%d clusters, want %d: %+v", len(env.Clusters), len(tc.clusters), env.Clusters)
			}
			for _, bc := range env.Clusters {
				w, ok := tc.clusters[bc.Name]
				if !ok {
					t.Fatalf("unexpected cluster %q", bc.Name)
				}
				if len(bc.Endpoints) != 1 || bc.Endpoints[0] != (xds.HostPort{Host: w.host, Port: w.port}) {
					t.Fatalf("%s endpoints %+v", bc.Name, bc.Endpoints)
				}
				got := ""
				switch {
				case bc.TLS == nil:
				case bc.TLS.Unverified:
					got = "unverified"
				case len(bc.TLS.ClientKeyPEM) > 0:
					got = "mtls"
				default:
					got = "one-way"
				}
				if got != w.tls {
					t.Fatalf("%s TLS %q, want %q", bc.Name, got, w.tls)
				}
				if bc.TLS != nil && (bc.TLS.SNI != w.sni || (w.hv != "" && bc.TLS.HostnameVerification != w.hv)) {
					t.Fatalf("%s TLS %+v", bc.Name, bc.TLS)
				}
				if got == "mtls" || got == "one-way" {
					if len(bc.TLS.TrustedCAs) != 1 || !bytes.Equal(bc.TLS.TrustedCAs[0], f.backendCA.Cert.Raw) {
						t.Fatalf("%s trust %d CAs", bc.Name, len(bc.TLS.TrustedCAs))
					}
				}
			}
			// Every environment translates into a consistent xDS snapshot.
			if _, err := xds.Translate(env, "1"); err != nil {
				t.Fatalf("xds.Translate: %v", err)
			}
		})
	}
}

// TestXDSEnvironmentTranslates checks what Envoy receives for the profile:
// the UpstreamTlsContext carries the profile's SNI, SAN check, TLS versions,
// trust and client secrets; the https endpoint without a profile gets TLS
// with its host as SNI and no validation.
func TestXDSEnvironmentTranslates(t *testing.T) {
	f := newXDSFixture(t)
	env, err := XDSEnvironment(f.state, "Default")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := xds.Translate(env, "1")
	if err != nil {
		t.Fatal(err)
	}
	clusters, secrets := snap.GetResources(resource.ClusterType), snap.GetResources(resource.SecretType)
	upstream := func(name string) *tlsv3.UpstreamTlsContext {
		t.Helper()
		c, ok := clusters[xds.BackendClusterName(name)].(*clusterv3.Cluster)
		if !ok {
			t.Fatalf("no cluster %s", name)
		}
		if c.GetTransportSocket() == nil {
			return nil
		}
		u := &tlsv3.UpstreamTlsContext{}
		if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(u); err != nil {
			t.Fatal(err)
		}
		return u
	}

	u := upstream("orders-api-1.0.0")
	if u.GetSni() != "orders.internal" {
		t.Fatalf("SNI %q, want the profile's orders.internal", u.GetSni())
	}
	common := u.GetCommonTlsContext()
	if p := common.GetTlsParams(); p.GetTlsMinimumProtocolVersion() != tlsv3.TlsParameters_TLSv1_2 || p.GetTlsMaximumProtocolVersion() != tlsv3.TlsParameters_TLSv1_3 {
		t.Fatalf("TLS params %v", p)
	}
	cv := common.GetCombinedValidationContext()
	sans := cv.GetDefaultValidationContext().GetMatchTypedSubjectAltNames()
	if len(sans) != 1 || sans[0].GetMatcher().GetExact() != "orders.internal" {
		t.Fatalf("strict hostname verification must match the SNI: %v", sans)
	}
	trust, ok := secrets[cv.GetValidationContextSdsSecretConfig().GetName()].(*tlsv3.Secret)
	if !ok {
		t.Fatal("trust secret missing")
	}
	block, _ := pem.Decode(trust.GetValidationContext().GetTrustedCa().GetInlineBytes())
	if block == nil || !bytes.Equal(block.Bytes, f.backendCA.Cert.Raw) {
		t.Fatal("trust secret does not hold the profile's CA")
	}
	sds := common.GetTlsCertificateSdsSecretConfigs()
	if len(sds) != 1 {
		t.Fatalf("client certificate SDS configs %v", sds)
	}
	client := secrets[sds[0].GetName()].(*tlsv3.Secret).GetTlsCertificate()
	keyBlock, _ := pem.Decode(client.GetPrivateKey().GetInlineBytes())
	certBlock, _ := pem.Decode(client.GetCertificateChain().GetInlineBytes())
	if keyBlock == nil || !bytes.Equal(keyBlock.Bytes, testcerts.KeyDER(f.clientKey)) || certBlock == nil || !bytes.Equal(certBlock.Bytes, f.clientLeaf.Raw) {
		t.Fatal("client secret does not hold the profile's key store")
	}

	pay := upstream("pay-1")
	if pay.GetSni() != "pay.example.com" || pay.GetCommonTlsContext().GetValidationContextType() != nil ||
		len(pay.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()) != 0 {
		t.Fatalf("https without profile: %v", pay)
	}
	if upstream("menu-2") != nil {
		t.Fatal("plain http endpoint got TLS")
	}
	legacy := upstream("legacy-1")
	if legacy == nil || len(legacy.GetCommonTlsContext().GetCombinedValidationContext().GetDefaultValidationContext().GetMatchTypedSubjectAltNames()) != 0 {
		t.Fatalf("allow-all profile must not check names: %v", legacy)
	}
}

func TestBackendName(t *testing.T) {
	cases := []struct {
		name string
		api  domain.API
		want string
	}{
		{"ok/lowercase", domain.API{Name: "PizzaShackAPI", Version: "1.0.0"}, "pizzashackapi-1.0.0"},
		{"ok/space-replaced", domain.API{Name: "Pizza Shack", Version: "v2"}, "pizza-shack-v2"},
		{"ok/truncated", domain.API{Name: strings.Repeat("a", 60), Version: strings.Repeat("1", 30)}, strings.Repeat("a", 60) + "-" + strings.Repeat("1", 30)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := BackendName(tc.api)
			if got != tc.want || xds.CheckBackendName(got) != nil {
				t.Fatalf("BackendName = %q, want %q", got, tc.want)
			}
		})
	}
	names := BackendNames([]domain.API{{ID: "a1b2c3d4-0000", Name: "X", Version: "1"}, {ID: "ffff0000-1111", Name: "x", Version: "1"}})
	if names["a1b2c3d4-0000"] != "x-1" || names["ffff0000-1111"] != "x-1-ffff0000" {
		t.Fatalf("collision names %v", names)
	}
}

// TestXDSEnvironmentFromStore goes through the real store: a profile with a
// client key saved in an encrypted Badger store reaches the xDS snapshot.
func TestXDSEnvironmentFromStore(t *testing.T) {
	encKey := make([]byte, 32)
	_, _ = rand.Read(encKey)
	st, err := badgerstore.OpenWithOptions(t.TempDir(), badgerstore.Options{EncryptionKey: encKey})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.CreateAPI(ctx, domain.API{Name: "Orders", Version: "1", Context: "/orders", Provider: "admin", SecurityScheme: []string{domain.SchemeMutualSSL},
		ProductionEndpoint: "https://orders.example.com:8443/", GatewayEnvironments: []string{"Prod"}, LifeCycleStatus: "PUBLISHED"}); err != nil {
		t.Fatal(err)
	}
	f := newXDSFixture(t)
	p := f.state.BackendProfiles[0]
	p.Servers = []string{"orders.example.com:8443"}
	if _, err := st.CreateBackendProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	state, err := st.ReadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env, err := XDSEnvironment(state, "Prod")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := xds.Translate(env, "1")
	if err != nil {
		t.Fatal(err)
	}
	c := snap.GetResources(resource.ClusterType)[xds.BackendClusterName("orders-1")].(*clusterv3.Cluster)
	u := &tlsv3.UpstreamTlsContext{}
	if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(u); err != nil {
		t.Fatal(err)
	}
	if u.GetSni() != "orders.internal" || len(u.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()) != 1 {
		t.Fatalf("UpstreamTlsContext %v", u)
	}
}
