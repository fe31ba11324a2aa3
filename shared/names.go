package shared

// Request header names (lowercase, as Envoy presents HTTP/1 and HTTP/2 headers).
const (
	// HeaderClientCertificate is WSO2's default header carrying the client certificate from a load balancer.
	HeaderClientCertificate = "x-wso2-client-certificate"
	// HeaderXFCC is Envoy's x-forwarded-client-cert.
	HeaderXFCC = "x-forwarded-client-cert"
	// HeaderRFC9440 is RFC 9440's Client-Cert (structured-field byte sequence of the DER).
	HeaderRFC9440 = "client-cert"
	// HeaderAuthorization carries `Bearer <JWT>`.
	HeaderAuthorization = "authorization"
	// DefaultIdentityPrefix prefixes the identity headers added upstream.
	DefaultIdentityPrefix = "x-certgate-"
)

// Identity header suffixes, appended to the configured prefix.
const (
	// IdentityCN carries the certificate CN: the username (seed 002).
	IdentityCN         = "cn"
	IdentityAlias      = "alias"
	IdentityAuthMethod = "auth-method"
	IdentityClientID   = "client-id"
	IdentityAPI        = "api"
	// IdentityUser is the username: the CN for certificates (seed 002), the client id for tokens.
	IdentityUser = "user"
)

// Auth methods reported in the auth-method identity header and metrics.
const (
	AuthMutualSSL = "mutualssl"
	AuthOAuth2    = "oauth2"
)

// Rate-limit response headers (IETF draft RateLimit header fields, and RFC 9110 Retry-After).
const (
	HeaderRateLimitLimit     = "ratelimit-limit"
	HeaderRateLimitRemaining = "ratelimit-remaining"
	HeaderRateLimitReset     = "ratelimit-reset"
	HeaderRetryAfter         = "retry-after"
)

// Envoy attribute paths the filter reads (proxy_get_property path
// segments, joined with '.' for display).
var (
	PropMTLS            = []string{"connection", "mtls"}
	PropPeerDigest      = []string{"connection", "sha256_peer_certificate_digest"}
	PropPeerSubject     = []string{"connection", "subject_peer_certificate"}
	PropPeerURISAN      = []string{"connection", "uri_san_peer_certificate"}
	PropPeerDNSSAN      = []string{"connection", "dns_san_peer_certificate"}
	PropPeerCertificate = []string{"connection", "peer_certificate"}
	PropPeerCertValid   = []string{"connection", "peer_certificate_valid"}
	PropSourceAddress   = []string{"source", "address"}
)
