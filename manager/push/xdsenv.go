package push

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/xds"
)

// XDSEnvironment translates the committed state into the xDS input of one
// environment. It is pure: the same state gives the same environment.
//
//   - ClientTrust: every active client certificate (pinned) and CA of the
//     APIs deployed to env, in state order.
//   - Clusters: one per API deployed to env, named BackendName(api) (see
//     BackendNames for collisions), whose endpoint is the production
//     endpoint's host:port (default port 443 for https, 80 for http).
//   - TLS: a backend profile whose servers list the endpoint's host:port
//     (seed 004, WSO2 semantics) gives its trust store, client key store,
//     SNI (default: the endpoint host when it is a DNS name), hostname
//     verification and TLS versions. An https endpoint without a profile
//     gets TLS with SNI = host, no client certificate and no trust store:
//     the backend's certificate is not verified (upload a profile to verify
//     it). A plain http endpoint without a profile is plain text; an http
//     endpoint listed by a profile uses the profile's TLS.
func XDSEnvironment(state domain.ConfigState, env string) (xds.Environment, error) {
	out := xds.Environment{Name: env}
	deployed := map[string]bool{}
	var apis []domain.API
	for _, a := range state.APIs {
		if deployedTo(a, env) {
			deployed[a.ID] = true
			apis = append(apis, a)
		}
	}
	for _, c := range state.Certificates {
		if c.Removed || !deployed[c.APIID] {
			continue
		}
		kind := xds.CertPinned
		if c.Type == domain.CertTypeCA {
			kind = xds.CertCA
		}
		out.ClientTrust = append(out.ClientTrust, xds.TrustedCert{DER: c.DER, Kind: kind})
	}
	names := BackendNames(apis)
	for _, a := range apis {
		bc, err := backendCluster(a, names[a.ID], state.BackendProfiles)
		if err != nil {
			return xds.Environment{}, err
		}
		out.Clusters = append(out.Clusters, bc)
	}
	return out, nil
}

// backendCluster builds the cluster of one API's production endpoint.
func backendCluster(a domain.API, name string, profiles []domain.BackendProfile) (xds.BackendCluster, error) {
	server, https, ok := domain.EndpointServer(a.ProductionEndpoint)
	if !ok {
		return xds.BackendCluster{}, fmt.Errorf("push: API %s: production endpoint %q is not an absolute http(s) URL", a.ID, a.ProductionEndpoint)
	}
	host, portStr, _ := net.SplitHostPort(server)
	port, _ := strconv.ParseUint(portStr, 10, 32)
	bc := xds.BackendCluster{Name: name, Endpoints: []xds.HostPort{{Host: host, Port: uint32(port)}}}
	p, found := domain.MatchProfile(profiles, server)
	switch {
	case found:
		tlsCfg, err := profileTLS(p, host)
		if err != nil {
			return xds.BackendCluster{}, fmt.Errorf("push: backend profile %q: %w", p.Name, err)
		}
		bc.TLS = tlsCfg
	case https:
		bc.TLS = &xds.BackendTLS{SNI: defaultSNI(host), Unverified: true}
	}
	return bc, nil
}

// profileTLS maps a backend profile to the xDS BackendTLS of one endpoint.
func profileTLS(p domain.BackendProfile, host string) (*xds.BackendTLS, error) {
	t := &xds.BackendTLS{
		SNI:                  p.SNI,
		HostnameVerification: p.HostnameVerification,
		MinVersion:           p.TLSMinVersion,
		MaxVersion:           p.TLSMaxVersion,
	}
	if t.SNI == "" {
		t.SNI = defaultSNI(host)
	}
	for _, c := range p.TrustStore {
		t.TrustedCAs = append(t.TrustedCAs, c.DER)
	}
	if ks := p.KeyStore; ks != nil {
		if len(ks.ChainDER) == 0 || len(ks.KeyPKCS8) == 0 {
			return nil, fmt.Errorf("key store without certificate or key")
		}
		for _, der := range ks.ChainDER {
			t.ClientCertPEM = append(t.ClientCertPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
		}
		t.ClientKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ks.KeyPKCS8})
	}
	return t, nil
}

// defaultSNI is the endpoint host when it is a DNS name (SNI cannot carry
// an IP address).
func defaultSNI(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	return host
}

// BackendName is the backend name of an API: "<name>-<version>" lowercased,
// with every character outside [a-z0-9._-] replaced by '-' (at most 100
// bytes). Envoy serves it as cluster xds.BackendClusterName(BackendName(a));
// routes of a gateway bootstrap name it (certgate envoy-bootstrap --route
// /pizzashack/1.0.0/=pizzashackapi-1.0.0=/).
func BackendName(a domain.API) string {
	var b strings.Builder
	for _, r := range strings.ToLower(a.Name + "-" + a.Version) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// BackendNames names the backends of apis (in the order given, which is
// the store's order by id): BackendName, except that when several APIs share
// one name (same name and version on different contexts) every one after
// the first gets "-<first 8 characters of its id>" appended.
func BackendNames(apis []domain.API) map[string]string {
	out := make(map[string]string, len(apis))
	used := make(map[string]bool, len(apis))
	for _, a := range apis {
		n := BackendName(a)
		if used[n] {
			id := strings.ReplaceAll(a.ID, "-", "")
			n = fmt.Sprintf("%.91s-%.8s", n, strings.ToLower(id))
		}
		used[n] = true
		out[a.ID] = n
	}
	return out
}
