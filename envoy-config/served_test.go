package envoyconfig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/certgate/certgate/manager/xds"
)

// selfSigned returns a DER certificate and its PEM certificate and key.
func selfSigned(t *testing.T, cn string, isCA bool) (der, certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		BasicConstraintsValid: true, IsCA: isCA, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})
}

// What manager/xds serves passes the same checks as the bootstrap (every
// Any unpacked and validated), every SDS name a served cluster references
// is served, and the bootstrap's validator accepts exactly those names.
func TestServedResourcesMatchTheBootstrap(t *testing.T) {
	caDER, _, _ := selfSigned(t, "backend-ca", true)
	clientDER, clientPEM, clientKey := selfSigned(t, "gateway", false)
	env := xds.Environment{
		ClientTrust: []xds.TrustedCert{{DER: clientDER, Kind: xds.CertPinned}},
		Clusters: []xds.BackendCluster{
			{Name: "pizzashack", Endpoints: []xds.HostPort{{Host: "pizza.internal", Port: 9443}}, TLS: &xds.BackendTLS{
				TrustedCAs: [][]byte{caDER}, ClientCertPEM: clientPEM, ClientKeyPEM: clientKey, SNI: "pizza.internal", MinVersion: "1.2",
			}},
			{Name: "plain", Endpoints: []xds.HostPort{{Host: "10.0.0.1", Port: 80}}},
		},
	}
	snap, err := xds.Translate(env, "1")
	if err != nil {
		t.Fatal(err)
	}
	served := snap.GetResources(resource.SecretType)
	for name := range served {
		if !servedSecret(name) {
			t.Fatalf("manager/xds serves %q, which the bootstrap validator would refuse", name)
		}
	}
	for name, r := range snap.GetResources(resource.ClusterType) {
		c := r.(*clusterv3.Cluster)
		w := &walker{}
		w.visit(c.ProtoReflect(), name)
		if len(w.errs) > 0 {
			t.Fatalf("served cluster %s: %v", name, w.errs)
		}
		for _, s := range w.sds {
			if _, ok := served[s.msg.GetName()]; !ok || s.msg.GetSdsConfig().GetAds() == nil {
				t.Fatalf("cluster %s references SDS secret %q that is not served over ADS", name, s.msg.GetName())
			}
		}
	}
	ts := served[xds.ClientTruststoreSecret].(*tlsv3.Secret)
	if err := ts.ValidateAll(); err != nil {
		t.Fatal(err)
	}

	// A bootstrap routing to both backends validates.
	if _, err := GenerateBootstrap(BootstrapOptions{Manager: "m:9443", Routes: []Route{
		{Prefix: "/pizzashack/", Backend: "pizzashack"}, {Prefix: "/plain/", Backend: "plain"},
	}}); err != nil {
		t.Fatal(err)
	}
}
