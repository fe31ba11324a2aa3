package shared

import "strconv"

// Shared-data keys. Everything certgate writes starts with Prefix.
const (
	// Prefix starts every certgate shared-data key.
	Prefix = "cg/"
	// KeyCurrent holds the active generation as decimal ASCII; flipped with CAS.
	KeyCurrent = "cg/current"
	// RateLimitPrefix starts the throttle counters (not versioned: budgets survive snapshot updates).
	RateLimitPrefix = "cg/rl/"
	// KeyRateLimitLock is the CAS lock that serialises the creation of throttle counters.
	KeyRateLimitLock = "cg/rl-lock"
)

// KeyAPI is the key of the API served at /{context}/{version}/.
func KeyAPI(context, version string) string { return "cg/api/" + context + "/" + version }

// KeyDefaultVersion is the key of the default version served at /{context}/.
func KeyDefaultVersion(context string) string { return "cg/default/" + context }

// KeyCert is the key of a pinned client certificate of an API; fingerprint is lowercase hex SHA-256.
func KeyCert(apiID, fingerprint string) string { return "cg/cert/" + apiID + "/" + fingerprint }

// KeyCABySKI is the key of an API's CA certificate by its subject key id (lowercase hex).
func KeyCABySKI(apiID, ski string) string { return "cg/ca/" + apiID + "/ski/" + ski }

// KeyCABySubject is the key of an API's CA certificate by the SHA-256 (lowercase hex) of its DER subject Name.
func KeyCABySubject(apiID, subjectHash string) string {
	return "cg/ca/" + apiID + "/dn/" + subjectHash
}

// KeyRevoked is the key marking a certificate fingerprint revoked (for every API).
func KeyRevoked(fingerprint string) string { return "cg/revoked/" + fingerprint }

// KeyTier is the key of a throttling tier.
func KeyTier(name string) string { return "cg/tier/" + name }

// KeyIssuer is the key of a trusted token issuer (exact iss value).
func KeyIssuer(iss string) string { return "cg/issuer/" + iss }

// KeyRateLimit is the key of a throttle counter.
func KeyRateLimit(throttleKey string) string { return RateLimitPrefix + throttleKey }

// Throttle-key builders (seed 002: `<CN>_<API_IDENTIFIER>`).

// ThrottleKeyCN is the default per-certificate throttle key: a renewed certificate with the same CN keeps its budget.
func ThrottleKeyCN(cn, apiID string) string { return cn + "_" + apiID }

// ThrottleKeyFingerprint keys the budget by certificate instead of CN.
func ThrottleKeyFingerprint(fingerprint, apiID string) string {
	return "fp:" + fingerprint + "_" + apiID
}

// ThrottleKeyClient is the per-OAuth2-client key on an API.
func ThrottleKeyClient(clientID, apiID string) string { return "client:" + clientID + "_" + apiID }

// ThrottleKeyAPI is the key of the API-level policy (the API as a whole).
func ThrottleKeyAPI(apiID string) string { return "api:" + apiID }

// EncodeGeneration encodes a generation for KeyCurrent.
func EncodeGeneration(gen uint64) []byte { return strconv.AppendUint(nil, gen, 10) }

// DecodeGeneration decodes KeyCurrent's value.
func DecodeGeneration(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, ErrCorrupt
	}
	var g uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, ErrCorrupt
		}
		d := uint64(c - '0')
		if g > (^uint64(0)-d)/10 {
			return 0, ErrCorrupt
		}
		g = g*10 + d
	}
	return g, nil
}
