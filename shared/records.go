package shared

// Record tags: the first byte of every encoded record, so a value written
// under the wrong key is rejected instead of misread.
const (
	tagAPI      = 'A'
	tagCert     = 'C'
	tagCA       = 'K'
	tagTier     = 'T'
	tagIssuer   = 'I'
	tagDefault  = 'D'
	tagRevoked  = 'R'
	tagVersions = 'V'
)

// Security is the set of authentication schemes an API enables (WSO2's
// "API Security" options), as a bit set.
type Security uint8

// Security bits.
const (
	// SecMutualSSL enables client-certificate authentication.
	SecMutualSSL Security = 1 << iota
	// SecOAuth2 enables bearer-token (JWT) authentication.
	SecOAuth2
	// SecMutualSSLMandatory makes a valid certificate required whatever the token does (WSO2 4.x mutualssl_mandatory).
	SecMutualSSLMandatory
	// SecOAuth2Mandatory makes a valid token required whatever the certificate does (WSO2 4.x oauth_basic_auth_api_key_mandatory).
	SecOAuth2Mandatory
)

// Has reports whether every bit of o is set.
func (s Security) Has(o Security) bool { return s&o == o }

// API is one published API version.
type API struct {
	Provider string
	Name     string
	Version  string
	// Context is the path prefix without slashes, e.g. "pizzashack" (may contain inner slashes: "shop/pizza").
	Context string
	// Default marks the version served for /{context}/... without a version.
	Default  bool
	Security Security
	// Policy is the API-level throttling tier (limits the API as a whole); empty = none.
	Policy string
	// TokenTier limits each OAuth2 client id on this API; empty = none.
	TokenTier string
	// Audience, when set, is accepted in a token's aud besides the API identifier.
	Audience string
}

// ID returns the WSO2 API identifier `<provider>--<name>:v<version>`.
func (a *API) ID() string { return APIIdentifier(a.Provider, a.Name, a.Version) }

// APIIdentifier builds the WSO2 API identifier `<provider>--<name>:v<version>`.
func APIIdentifier(provider, name, version string) string {
	return provider + "--" + name + ":v" + version
}

// Encode returns the binary encoding of a.
func (a *API) Encode() []byte {
	e := encoder{b: make([]byte, 0, 64+len(a.Provider)+len(a.Name)+len(a.Context)+len(a.Policy)+len(a.Audience))}
	e.byte1(tagAPI)
	e.str(a.Provider)
	e.str(a.Name)
	e.str(a.Version)
	e.str(a.Context)
	e.boolean(a.Default)
	e.byte1(byte(a.Security))
	e.str(a.Policy)
	e.str(a.TokenTier)
	e.str(a.Audience)
	return e.b
}

// DecodeAPI decodes an API record.
func DecodeAPI(b []byte) (API, error) {
	d := decoder{b: b}
	var a API
	d.header(tagAPI)
	a.Provider = d.str()
	a.Name = d.str()
	a.Version = d.str()
	a.Context = d.str()
	a.Default = d.boolean()
	a.Security = Security(d.byte1())
	a.Policy = d.str()
	a.TokenTier = d.str()
	a.Audience = d.str()
	return a, d.done()
}

// ClientCert is a client certificate uploaded for one API (pinned leaf).
type ClientCert struct {
	// APIID is the owning API's identifier (not encoded in the value: it is in the key).
	APIID string
	// Fingerprint is the lowercase hex SHA-256 of the DER certificate (in the key).
	Fingerprint string
	Alias       string
	// CN is the subject common name: the username and the default throttle key.
	CN string
	// Tier limits calls made with this certificate.
	Tier string
	// NotAfter is the certificate's expiry, Unix seconds.
	NotAfter int64
}

// Encode returns the binary encoding of c's value fields.
func (c *ClientCert) Encode() []byte {
	e := encoder{b: make([]byte, 0, 16+len(c.Alias)+len(c.CN)+len(c.Tier))}
	e.byte1(tagCert)
	e.str(c.Alias)
	e.str(c.CN)
	e.str(c.Tier)
	e.int(c.NotAfter)
	return e.b
}

// DecodeClientCert decodes a client-certificate record (APIID and Fingerprint stay empty).
func DecodeClientCert(b []byte) (ClientCert, error) {
	d := decoder{b: b}
	var c ClientCert
	d.header(tagCert)
	c.Alias = d.str()
	c.CN = d.str()
	c.Tier = d.str()
	c.NotAfter = d.int()
	return c, d.done()
}

// CACert is a CA certificate uploaded for one API: any certificate it
// issued is accepted for the API (with the CA's tier), once the chain is
// verified (by Envoy's peer_certificate_valid, by a trusted hop, or by the
// filter against PublicKey).
type CACert struct {
	APIID string
	// SubjectKeyID is the CA's subject key identifier, lowercase hex (matches a leaf's authority key id).
	SubjectKeyID string
	// SubjectHash is the lowercase hex SHA-256 of the CA's DER-encoded subject Name (matches a leaf's issuer Name).
	SubjectHash string
	Alias       string
	// Subject is the CA's subject DN (RFC 2253), for logs.
	Subject  string
	Tier     string
	NotAfter int64
	// PublicKey is the CA's DER SubjectPublicKeyInfo, used to verify a
	// leaf's signature inside the filter when Envoy does not say whether
	// the chain is valid.
	PublicKey []byte
}

// Encode returns the binary encoding of c's value fields.
func (c *CACert) Encode() []byte {
	e := encoder{b: make([]byte, 0, 24+len(c.Alias)+len(c.Subject)+len(c.Tier)+len(c.PublicKey))}
	e.byte1(tagCA)
	e.str(c.Alias)
	e.str(c.Subject)
	e.str(c.Tier)
	e.int(c.NotAfter)
	e.bytes(c.PublicKey)
	return e.b
}

// DecodeCACert decodes a CA record (APIID and the key ids stay empty).
func DecodeCACert(b []byte) (CACert, error) {
	d := decoder{b: b}
	var c CACert
	d.header(tagCA)
	c.Alias = d.str()
	c.Subject = d.str()
	c.Tier = d.str()
	c.NotAfter = d.int()
	c.PublicKey = d.raw()
	return c, d.done()
}

// Tier is a throttling policy: Count requests per UnitMillis.
type Tier struct {
	Name       string
	Count      uint64
	UnitMillis uint64
}

// Unlimited reports whether the tier imposes no limit.
func (t *Tier) Unlimited() bool { return t.Count == 0 || t.UnitMillis == 0 }

// Encode returns the binary encoding of t's value fields.
func (t *Tier) Encode() []byte {
	e := encoder{b: make([]byte, 0, 24)}
	e.byte1(tagTier)
	e.uint(t.Count)
	e.uint(t.UnitMillis)
	return e.b
}

// DecodeTier decodes a tier record (Name stays empty: it is in the key).
func DecodeTier(b []byte) (Tier, error) {
	d := decoder{b: b}
	var t Tier
	d.header(tagTier)
	t.Count = d.uint()
	t.UnitMillis = d.uint()
	return t, d.done()
}

// JWK algorithms the filter verifies.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// JWK is one public key of a trusted issuer, in raw form (no ASN.1 to parse
// in the filter): RSA keys carry N (big-endian modulus) and E; P-256 keys
// carry X and Y (32 bytes each, big-endian).
type JWK struct {
	Kid string
	Alg string
	N   []byte
	E   uint64
	X   []byte
	Y   []byte
}

// Issuer is a trusted OAuth2 token issuer and its keys.
type Issuer struct {
	// Issuer is the exact `iss` claim value (in the key).
	Issuer string
	Keys   []JWK
}

// Encode returns the binary encoding of i's value fields.
func (i *Issuer) Encode() []byte {
	e := encoder{b: make([]byte, 0, 16+300*len(i.Keys))}
	e.byte1(tagIssuer)
	e.uint(uint64(len(i.Keys)))
	for k := range i.Keys {
		j := &i.Keys[k]
		e.str(j.Kid)
		e.str(j.Alg)
		e.bytes(j.N)
		e.uint(j.E)
		e.bytes(j.X)
		e.bytes(j.Y)
	}
	return e.b
}

// DecodeIssuer decodes an issuer record (Issuer stays empty: it is in the key).
func DecodeIssuer(b []byte) (Issuer, error) {
	d := decoder{b: b}
	var i Issuer
	d.header(tagIssuer)
	n := d.count(6)
	if n > 0 {
		i.Keys = make([]JWK, n)
	}
	for k := 0; k < n && d.err == nil; k++ {
		j := &i.Keys[k]
		j.Kid = d.str()
		j.Alg = d.str()
		j.N = d.raw()
		j.E = d.uint()
		j.X = d.raw()
		j.Y = d.raw()
	}
	if d.err != nil {
		return Issuer{}, d.err
	}
	return i, d.done()
}

// EncodeDefaultVersion encodes the default-version record of a context.
func EncodeDefaultVersion(version string) []byte {
	e := encoder{b: make([]byte, 0, 2+len(version))}
	e.byte1(tagDefault)
	e.str(version)
	return e.b
}

// DecodeDefaultVersion decodes a default-version record.
func DecodeDefaultVersion(b []byte) (string, error) {
	d := decoder{b: b}
	d.header(tagDefault)
	v := d.str()
	return v, d.done()
}

// EncodeRevoked encodes a revocation entry (its presence is what matters).
func EncodeRevoked() []byte { return []byte{tagRevoked} }

// IsRevokedRecord reports whether b is a revocation entry.
func IsRevokedRecord(b []byte) bool { return len(b) == 1 && b[0] == tagRevoked }
