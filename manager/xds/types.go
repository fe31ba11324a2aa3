// Package xds serves certgate's configuration to Envoy gateways over the
// aggregated discovery service (ADS) of go-control-plane: the downstream
// client truststore as an SDS validation-context secret, and one cluster per
// API backend with an UpstreamTlsContext whose client certificate and trust
// store are SDS secrets too.
//
// The manager adapts its store to the input types of this file; Translate turns
// one Environment into a go-control-plane snapshot and Server pushes snapshots
// to every connected gateway of that environment.
package xds

// Names shared with envoy-config/ (the bootstrap references them; its tests
// check the bootstrap against these constants).
const (
	// ClientTruststoreSecret is the SDS secret (a CertificateValidationContext)
	// the gateway's downstream TLS listener validates client certificates with.
	ClientTruststoreSecret = "certgate-client-truststore"
	// BackendClusterPrefix prefixes every backend cluster the manager serves:
	// cluster "certgate-backend-<name>" for BackendCluster{Name: "<name>"}.
	BackendClusterPrefix = "certgate-backend-"
	// DefaultEnvironment is the environment of a node that names none.
	DefaultEnvironment = "Default"
	// NodeMetadataEnvKey is the Envoy node metadata key naming the
	// environment; it wins over the node's cluster field.
	NodeMetadataEnvKey = "certgate_env"
)

// BackendClusterName is the Envoy cluster name served for a backend.
func BackendClusterName(name string) string { return BackendClusterPrefix + name }

// BackendClientSecretName is the SDS secret (a TlsCertificate) holding the
// client certificate and key a gateway presents to the backend.
func BackendClientSecretName(name string) string { return BackendClusterName(name) + "-client" }

// BackendTrustSecretName is the SDS secret (a CertificateValidationContext)
// holding the CAs a gateway verifies the backend's server certificate with.
func BackendTrustSecretName(name string) string { return BackendClusterName(name) + "-trust" }

// Environment is everything one group of gateways needs from xDS.
type Environment struct {
	// Name of the environment ("Default" when empty).
	Name string
	// ClientTrust lists every active client certificate and CA uploaded for
	// the environment's APIs (expired and revoked ones already removed).
	ClientTrust []TrustedCert
	// Clusters lists the API backends.
	Clusters []BackendCluster
}

// CertKind tells a pinned client certificate from a CA.
type CertKind int

const (
	// CertPinned is a client certificate trusted by itself (pinned leaf).
	CertPinned CertKind = iota
	// CertCA is a CA whose issued certificates are trusted.
	CertCA
)

// TrustedCert is one DER certificate of the client truststore.
type TrustedCert struct {
	DER  []byte
	Kind CertKind
}

// HostPort is one backend server address.
type HostPort struct {
	Host string
	Port uint32
}

// BackendCluster is one API backend (seed 004: the profile's servers).
type BackendCluster struct {
	// Name is unique in the environment: [a-zA-Z0-9._-], at most 100 bytes.
	Name      string
	Endpoints []HostPort
	// TLS is nil for plain-text backends.
	TLS *BackendTLS
}

// Hostname verification modes (seed 004: WSO2's HostnameVerifier).
const (
	// HostnameStrict requires the backend certificate to carry the SNI (or
	// endpoint host) as a DNS or IP subject alternative name. The default.
	HostnameStrict = "strict"
	// HostnameAllowAll accepts any name on a certificate that chains to the
	// trust store (WSO2's "AllowAll").
	HostnameAllowAll = "allow-all"
)

// BackendTLS is a backend mutual-TLS profile.
type BackendTLS struct {
	// TrustedCAs are the DER certificates the backend's server certificate
	// must chain to (required: Envoy has no implemented system-roots option).
	TrustedCAs [][]byte
	// ClientCertPEM (chain, leaf first) and ClientKeyPEM are presented to the
	// backend; both empty for one-way TLS.
	ClientCertPEM []byte
	ClientKeyPEM  []byte
	// SNI sent to the backend; empty = none.
	SNI string
	// HostnameVerification is HostnameStrict (default when empty) or
	// HostnameAllowAll.
	HostnameVerification string
	// MinVersion and MaxVersion: "1.0", "1.1", "1.2", "1.3" (also "TLSv1.2",
	// "TLSv1_2"); empty = Envoy's default.
	MinVersion string
	MaxVersion string
	// Unverified, with no TrustedCAs and no client certificate, asks for TLS
	// that does not verify the backend's certificate (an https endpoint
	// without a backend profile). Without it a trust store is required.
	Unverified bool
}
