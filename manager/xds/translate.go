package xds

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// backendConnectTimeout bounds a TCP+TLS connect to a backend.
const backendConnectTimeout = 5 * time.Second

// ErrInvalidEnvironment wraps every input error Translate reports.
var ErrInvalidEnvironment = errors.New("xds: invalid environment")

// Translate builds the xDS snapshot of one environment: the client truststore
// secret, one cluster per backend, and each TLS backend's trust and client
// secrets. It is pure: the same input gives the same snapshot. Every resource
// passes Envoy's own validation (ValidateAll) and the snapshot Consistent().
//
// Choice for pinned client certificates: pinned leaves (self-signed or not)
// go into trusted_ca next to the CAs. Envoy sets X509_V_FLAG_PARTIAL_CHAIN, so
// a non-self-signed leaf is a trust anchor for itself. verify_certificate_hash
// is not used: Envoy ANDs it with chain verification, which would mark every
// CA-issued certificate as failing. With trust_chain_verification
// ACCEPT_UNTRUSTED the TLS result is advisory anyway: the filter decides per
// API by SHA-256 fingerprint or issuing CA.
func Translate(env Environment, version string) (*cache.Snapshot, error) {
	if version == "" {
		return nil, fmt.Errorf("%w: empty version", ErrInvalidEnvironment)
	}
	truststore, err := clientTruststore(env.ClientTrust)
	if err != nil {
		return nil, err
	}
	secrets := []types.Resource{truststore}
	var clusters []types.Resource
	seen := make(map[string]bool, len(env.Clusters))
	for i := range env.Clusters {
		bc := &env.Clusters[i]
		if seen[bc.Name] {
			return nil, fmt.Errorf("%w: duplicate backend %q", ErrInvalidEnvironment, bc.Name)
		}
		seen[bc.Name] = true
		c, s, err := backend(bc)
		if err != nil {
			return nil, err
		}
		clusters = append(clusters, c)
		secrets = append(secrets, s...)
	}
	for _, r := range append(append([]types.Resource{}, secrets...), clusters...) {
		if v, ok := r.(interface{ ValidateAll() error }); ok {
			if err := v.ValidateAll(); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrInvalidEnvironment, cache.GetResourceName(r), err)
			}
		}
	}
	snap, err := cache.NewSnapshot(version, map[resource.Type][]types.Resource{
		resource.SecretType:  secrets,
		resource.ClusterType: clusters,
	})
	if err != nil {
		return nil, err
	}
	if err := snap.Consistent(); err != nil {
		return nil, fmt.Errorf("xds: inconsistent snapshot: %w", err)
	}
	return snap, nil
}

// clientTruststore builds the downstream validation-context secret.
func clientTruststore(certs []TrustedCert) (*tlsv3.Secret, error) {
	var buf bytes.Buffer
	seen := make(map[string]bool, len(certs))
	for i, c := range certs {
		if _, err := x509.ParseCertificate(c.DER); err != nil {
			return nil, fmt.Errorf("%w: client certificate %d: %v", ErrInvalidEnvironment, i, err)
		}
		if seen[string(c.DER)] {
			continue // the same certificate uploaded for two APIs
		}
		seen[string(c.DER)] = true
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.DER})
	}
	vc := &tlsv3.CertificateValidationContext{
		// A failing certificate must still reach the filter (OAuth2 fallback).
		TrustChainVerification: tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED,
	}
	if buf.Len() > 0 {
		vc.TrustedCa = inlineBytes(buf.Bytes())
	}
	return &tlsv3.Secret{
		Name: ClientTruststoreSecret,
		Type: &tlsv3.Secret_ValidationContext{ValidationContext: vc},
	}, nil
}

// backend builds one cluster and, for TLS backends, its secrets.
func backend(bc *BackendCluster) (*clusterv3.Cluster, []types.Resource, error) {
	if err := CheckBackendName(bc.Name); err != nil {
		return nil, nil, err
	}
	if len(bc.Endpoints) == 0 {
		return nil, nil, fmt.Errorf("%w: backend %q has no servers", ErrInvalidEnvironment, bc.Name)
	}
	allIPs := true
	lbEndpoints := make([]*endpointv3.LbEndpoint, 0, len(bc.Endpoints))
	for _, hp := range bc.Endpoints {
		if hp.Host == "" || hp.Port == 0 || hp.Port > 65535 {
			return nil, nil, fmt.Errorf("%w: backend %q: bad server %s:%d", ErrInvalidEnvironment, bc.Name, hp.Host, hp.Port)
		}
		if _, err := netip.ParseAddr(hp.Host); err != nil {
			allIPs = false
		}
		lbEndpoints = append(lbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: socketAddress(hp),
			}},
		})
	}
	discovery := clusterv3.Cluster_STRICT_DNS
	if allIPs {
		discovery = clusterv3.Cluster_STATIC
	}
	name := BackendClusterName(bc.Name)
	c := &clusterv3.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(backendConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: discovery},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints:   []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbEndpoints}},
		},
	}
	if bc.TLS == nil {
		return c, nil, nil
	}
	utc, secrets, err := upstreamTLS(bc)
	if err != nil {
		return nil, nil, err
	}
	anyTLS, err := anypb.New(utc)
	if err != nil {
		return nil, nil, err
	}
	c.TransportSocket = &corev3.TransportSocket{
		Name:       wellknown.TransportSocketTLS,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: anyTLS},
	}
	return c, secrets, nil
}

// upstreamTLS builds the backend's UpstreamTlsContext and its SDS secrets.
func upstreamTLS(bc *BackendCluster) (*tlsv3.UpstreamTlsContext, []types.Resource, error) {
	t := bc.TLS
	if t.Unverified && len(t.TrustedCAs) == 0 && len(t.ClientCertPEM) == 0 && len(t.ClientKeyPEM) == 0 {
		params, err := tlsParams(t.MinVersion, t.MaxVersion)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: backend %q: %v", ErrInvalidEnvironment, bc.Name, err)
		}
		return &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{TlsParams: params}, Sni: t.SNI}, nil, nil
	}
	if len(t.TrustedCAs) == 0 {
		return nil, nil, fmt.Errorf("%w: backend %q: a trust store is required for TLS", ErrInvalidEnvironment, bc.Name)
	}
	var cas bytes.Buffer
	for i, der := range t.TrustedCAs {
		if _, err := x509.ParseCertificate(der); err != nil {
			return nil, nil, fmt.Errorf("%w: backend %q: trust store certificate %d: %v", ErrInvalidEnvironment, bc.Name, i, err)
		}
		_ = pem.Encode(&cas, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	trust := &tlsv3.Secret{
		Name: BackendTrustSecretName(bc.Name),
		Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa: inlineBytes(cas.Bytes()),
		}},
	}
	secrets := []types.Resource{trust}

	params, err := tlsParams(t.MinVersion, t.MaxVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: backend %q: %v", ErrInvalidEnvironment, bc.Name, err)
	}
	sans, err := sanMatchers(bc)
	if err != nil {
		return nil, nil, err
	}
	common := &tlsv3.CommonTlsContext{
		TlsParams: params,
		ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
			CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext:         &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sans},
				ValidationContextSdsSecretConfig: sdsConfig(trust.Name),
			},
		},
	}

	switch hasCert, hasKey := len(t.ClientCertPEM) > 0, len(t.ClientKeyPEM) > 0; {
	case hasCert && hasKey:
		if _, err := tls.X509KeyPair(t.ClientCertPEM, t.ClientKeyPEM); err != nil {
			// The error text of X509KeyPair never contains key material.
			return nil, nil, fmt.Errorf("%w: backend %q: client key store: %v", ErrInvalidEnvironment, bc.Name, err)
		}
		client := &tlsv3.Secret{
			Name: BackendClientSecretName(bc.Name),
			Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
				CertificateChain: inlineBytes(t.ClientCertPEM),
				PrivateKey:       inlineBytes(t.ClientKeyPEM),
			}},
		}
		secrets = append(secrets, client)
		common.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{sdsConfig(client.Name)}
	case hasCert || hasKey:
		return nil, nil, fmt.Errorf("%w: backend %q: client certificate and key go together", ErrInvalidEnvironment, bc.Name)
	}
	return &tlsv3.UpstreamTlsContext{CommonTlsContext: common, Sni: t.SNI}, secrets, nil
}

// sanMatchers implements hostname verification: strict matches the SNI, or
// every endpoint host when no SNI is set; allow-all matches nothing.
func sanMatchers(bc *BackendCluster) ([]*tlsv3.SubjectAltNameMatcher, error) {
	switch bc.TLS.HostnameVerification {
	case HostnameAllowAll:
		return nil, nil
	case "", HostnameStrict:
	default:
		return nil, fmt.Errorf("%w: backend %q: hostname verification %q (want %q or %q)",
			ErrInvalidEnvironment, bc.Name, bc.TLS.HostnameVerification, HostnameStrict, HostnameAllowAll)
	}
	hosts := []string{bc.TLS.SNI}
	if bc.TLS.SNI == "" {
		hosts = hosts[:0]
		for _, hp := range bc.Endpoints {
			hosts = append(hosts, hp.Host)
		}
	}
	var out []*tlsv3.SubjectAltNameMatcher
	seen := map[string]bool{}
	for _, h := range hosts {
		h = strings.ToLower(h)
		if seen[h] {
			continue
		}
		seen[h] = true
		sanType := tlsv3.SubjectAltNameMatcher_DNS
		if _, err := netip.ParseAddr(h); err == nil {
			sanType = tlsv3.SubjectAltNameMatcher_IP_ADDRESS
		}
		out = append(out, &tlsv3.SubjectAltNameMatcher{
			SanType: sanType,
			Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: h}, IgnoreCase: sanType == tlsv3.SubjectAltNameMatcher_DNS},
		})
	}
	return out, nil
}

// tlsParams maps "1.2"-style versions to Envoy's TlsParameters.
func tlsParams(minV, maxV string) (*tlsv3.TlsParameters, error) {
	lo, err := tlsVersion(minV)
	if err != nil {
		return nil, err
	}
	hi, err := tlsVersion(maxV)
	if err != nil {
		return nil, err
	}
	if lo == tlsv3.TlsParameters_TLS_AUTO && hi == tlsv3.TlsParameters_TLS_AUTO {
		return nil, nil
	}
	if lo != tlsv3.TlsParameters_TLS_AUTO && hi != tlsv3.TlsParameters_TLS_AUTO && lo > hi {
		return nil, fmt.Errorf("TLS min version %s above max version %s", minV, maxV)
	}
	return &tlsv3.TlsParameters{TlsMinimumProtocolVersion: lo, TlsMaximumProtocolVersion: hi}, nil
}

func tlsVersion(v string) (tlsv3.TlsParameters_TlsProtocol, error) {
	s := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "TLSV")
	switch strings.ReplaceAll(s, "_", ".") {
	case "":
		return tlsv3.TlsParameters_TLS_AUTO, nil
	case "1.0", "1":
		return tlsv3.TlsParameters_TLSv1_0, nil
	case "1.1":
		return tlsv3.TlsParameters_TLSv1_1, nil
	case "1.2":
		return tlsv3.TlsParameters_TLSv1_2, nil
	case "1.3":
		return tlsv3.TlsParameters_TLSv1_3, nil
	}
	return 0, fmt.Errorf("unknown TLS version %q (want 1.0, 1.1, 1.2 or 1.3)", v)
}

// CheckBackendName reports whether name can name a backend: it must be usable
// inside Envoy resource and stat names ([a-zA-Z0-9._-], 1 to 100 bytes).
func CheckBackendName(name string) error {
	if name == "" || len(name) > 100 {
		return fmt.Errorf("%w: backend name %q must have 1 to 100 characters", ErrInvalidEnvironment, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: backend name %q: only letters, digits, '-', '_' and '.'", ErrInvalidEnvironment, name)
		}
	}
	return nil
}

func socketAddress(hp HostPort) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       hp.Host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: hp.Port},
	}}}
}

func inlineBytes(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}

// sdsConfig references a secret served over the gateway's ADS stream.
func sdsConfig(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: ADSConfigSource()}
}

// ADSConfigSource is the config source of every resource certgate serves:
// the gateway's ADS stream, API version v3.
func ADSConfigSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}
