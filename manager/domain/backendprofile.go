package domain

import (
	"crypto/x509"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hostname verification modes of a backend profile (seed 004: WSO2's
// HostnameVerifier parameter).
const (
	// HostnameStrict requires the backend's certificate to name the SNI (or
	// the server host) in a subject alternative name. The default.
	HostnameStrict = "strict"
	// HostnameAllowAll accepts any name on a certificate that chains to the
	// trust store (WSO2's "AllowAll").
	HostnameAllowAll = "allow-all"
)

// TLS protocol versions a backend profile may pin (WSO2-style names).
const (
	TLSv12 = "TLSv1_2"
	TLSv13 = "TLSv1_3"
)

// BackendProfile is a backend mutual-TLS profile (seed 004, WSO2's dynamic
// SSL profiles): the gateway connects to any of Servers with TLS, verifies
// the backend's certificate against TrustStore and, when KeyStore is set,
// presents its client certificate.
type BackendProfile struct {
	Name string
	// Servers are canonical "host:port" strings (lowercase host, IPv6 in
	// brackets); an API endpoint whose host:port is listed uses the profile.
	Servers []string
	// TrustStore holds the CA (or pinned server) certificates that verify
	// the backend. Required.
	TrustStore []TrustedCertificate
	// KeyStore is the client certificate and private key the gateway
	// presents; nil for one-way TLS.
	KeyStore             *KeyStore
	HostnameVerification string // HostnameStrict or HostnameAllowAll
	SNI                  string // empty: the server's host
	TLSMinVersion        string // "", TLSv12 or TLSv13
	TLSMaxVersion        string
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// TrustedCertificate is one certificate of a profile's trust store.
type TrustedCertificate struct {
	DER         []byte
	Subject     string
	Fingerprint string // SHA-256 of DER, lowercase hex
	NotAfter    time.Time
}

// KeyStore is a client certificate chain (leaf first) and its private key.
// KeyPKCS8 is secret: stores keep it encrypted at rest and the REST API
// never returns it.
type KeyStore struct {
	ChainDER    [][]byte
	KeyPKCS8    []byte
	Subject     string
	Fingerprint string // of the leaf
	NotAfter    time.Time
	KeyType     string
	KeySize     int
}

// NewTrustedCertificate describes cert as a trust-store entry.
func NewTrustedCertificate(cert *x509.Certificate) TrustedCertificate {
	return TrustedCertificate{DER: cert.Raw, Subject: cert.Subject.String(), Fingerprint: Fingerprint(cert.Raw), NotAfter: cert.NotAfter.UTC()}
}

var profileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// MaxProfileServers bounds a profile's server list.
const MaxProfileServers = 64

// ValidateProfileName checks a profile name (1-64 of letters, digits, '.', '_', '-').
func ValidateProfileName(name string) error {
	if !profileNameRE.MatchString(name) {
		return Invalid(CodeValidation, "Invalid profile name",
			"name must be 1-64 characters of letters, digits, '.', '_' or '-' (starting with a letter or digit), got %q", name)
	}
	return nil
}

// ParseServer canonicalises one "host:port" server address: the host is a
// DNS name or an IP address (IPv6 in brackets), the port 1-65535.
func ParseServer(s string) (string, error) {
	bad := func(why string) error {
		return Invalid(CodeValidation, "Invalid server", "servers must be host:port (%s), got %q", why, s)
	}
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil {
		return "", bad("missing or malformed port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
		return "", bad("port must be 1-65535")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return "", bad("IPv6 zones are not supported")
		}
		return net.JoinHostPort(ip.String(), port), nil
	}
	if !IsDNSName(host) {
		return "", bad("host must be a DNS name or an IP address")
	}
	return strings.ToLower(host) + ":" + port, nil
}

// IsDNSName reports whether s is a valid DNS host name (letters, digits,
// hyphens and underscores in labels of 1-63, 253 bytes at most).
func IsDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// ParseHostnameVerification accepts "strict" (default when empty),
// "allow-all" and WSO2's "AllowAll" / "Strict" / "DefaultAndLocalhost"
// (treated as strict).
func ParseHostnameVerification(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "strict", "defaultandlocalhost":
		return HostnameStrict, nil
	case "allow-all", "allowall":
		return HostnameAllowAll, nil
	}
	return "", Invalid(CodeValidation, "Invalid hostnameVerification",
		"hostnameVerification must be %q or %q (WSO2's AllowAll), got %q", HostnameStrict, HostnameAllowAll, s)
}

// ParseTLSVersion accepts "" (Envoy's default), TLSv1_2 or TLSv1_3 (also
// "TLSv1.2", "1.2", any case).
func ParseTLSVersion(field, s string) (string, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.ReplaceAll(strings.TrimPrefix(v, "TLSV"), ".", "_")
	switch v {
	case "":
		return "", nil
	case "1_2":
		return TLSv12, nil
	case "1_3":
		return TLSv13, nil
	}
	return "", Invalid(CodeValidation, "Invalid "+field, "%s must be %s or %s, got %q", field, TLSv12, TLSv13, s)
}

// Normalize canonicalises the profile's option fields (servers are
// canonicalised by Validate).
func (p *BackendProfile) Normalize() {
	p.Name = strings.TrimSpace(p.Name)
	p.SNI = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(p.SNI), "."))
	if p.HostnameVerification == "" {
		p.HostnameVerification = HostnameStrict
	}
}

// Validate checks a normalized profile and canonicalises its servers.
// Certificates are checked when decoded (DecodeTrustStore, DecodeKeyStore).
func (p *BackendProfile) Validate() error {
	if err := ValidateProfileName(p.Name); err != nil {
		return err
	}
	if len(p.Servers) == 0 {
		return Invalid(CodeValidation, "Invalid servers", "servers must list at least one host:port")
	}
	if len(p.Servers) > MaxProfileServers {
		return Invalid(CodeValidation, "Invalid servers", "a profile may list at most %d servers, got %d", MaxProfileServers, len(p.Servers))
	}
	servers := make([]string, 0, len(p.Servers))
	for _, s := range p.Servers {
		c, err := ParseServer(s)
		if err != nil {
			return err
		}
		if slices.Contains(servers, c) {
			return Invalid(CodeValidation, "Invalid servers", "server %q is listed twice", c)
		}
		servers = append(servers, c)
	}
	p.Servers = servers
	if len(p.TrustStore) == 0 {
		return Invalid(CodeTrustStoreMissing, "Trust store missing",
			"the multipart field \"trustStore\" (CA certificates that verify the backend) is required")
	}
	if p.SNI != "" {
		if _, err := netip.ParseAddr(p.SNI); err == nil || !IsDNSName(p.SNI) {
			return Invalid(CodeValidation, "Invalid sni", "sni must be a DNS host name (not an IP address), got %q", p.SNI)
		}
	}
	if _, err := ParseHostnameVerification(p.HostnameVerification); err != nil {
		return err
	}
	var err error
	if p.TLSMinVersion, err = ParseTLSVersion("tlsMinVersion", p.TLSMinVersion); err != nil {
		return err
	}
	if p.TLSMaxVersion, err = ParseTLSVersion("tlsMaxVersion", p.TLSMaxVersion); err != nil {
		return err
	}
	if p.TLSMinVersion == TLSv13 && p.TLSMaxVersion == TLSv12 {
		return Invalid(CodeValidation, "Invalid TLS versions", "tlsMinVersion %s is above tlsMaxVersion %s", p.TLSMinVersion, p.TLSMaxVersion)
	}
	return nil
}

// EndpointServer returns the "host:port" of an endpoint URL, with the
// scheme's default port (443 for https, 80 for http), in ParseServer's
// canonical form; ok is false for URLs that are not absolute http(s).
func EndpointServer(rawURL string) (server string, https bool, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, false
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	s, err := ParseServer(net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return "", false, false
	}
	return s, u.Scheme == "https", true
}

// MatchProfile returns the profile that lists server (WSO2 semantics: an
// endpoint uses the profile whose servers contain its host:port).
func MatchProfile(profiles []BackendProfile, server string) (BackendProfile, bool) {
	for _, p := range profiles {
		if slices.Contains(p.Servers, server) {
			return p, true
		}
	}
	return BackendProfile{}, false
}
