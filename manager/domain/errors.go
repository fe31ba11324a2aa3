package domain

import (
	"errors"
	"fmt"
)

// Sentinel error kinds. Every *Error carries one of them as its Kind, so
// callers can test errors.Is(err, domain.ErrNotFound) without knowing the
// specific code.
var (
	// ErrNotFound reports a missing API, certificate, tier or route.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists reports a create that collides with an existing record.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict reports a change refused because of the state of other
	// records (for example deleting a tier that is still in use).
	ErrConflict = errors.New("conflict")
	// ErrInvalid reports input that fails validation.
	ErrInvalid = errors.New("invalid input")
	// ErrTooLarge reports a request body over the size limit.
	ErrTooLarge = errors.New("too large")
	// ErrUnauthorized reports missing or wrong admin credentials.
	ErrUnauthorized = errors.New("unauthorized")
)

// Error codes returned in the JSON error body, in the style of WSO2 API
// Manager's numeric codes (900xxx). They are part of the public API: scripts
// may match on them, so never renumber one.
const (
	CodeBadRequest         int64 = 900400 // malformed request (JSON syntax, form)
	CodeUnknownField       int64 = 900401 // JSON body has a field the API does not define
	CodeValidation         int64 = 900402 // a field value is invalid
	CodeMethodNotAllowed   int64 = 900405
	CodeBodyTooLarge       int64 = 900413
	CodeInvalidCredentials int64 = 900901 // same code the gateway uses
	CodeMissingCredentials int64 = 900902
	CodeResourceNotFound   int64 = 900404 // no such route
	CodeAPINotFound        int64 = 900310
	CodeAPIExists          int64 = 900311 // context+version already taken
	CodeCertNotFound       int64 = 900340
	CodeAliasExists        int64 = 900341
	CodeCertAlreadyBound   int64 = 900342
	CodeInvalidAlias       int64 = 900343
	CodeCertMissing        int64 = 900344
	CodeCertMalformed      int64 = 900350
	CodePrivateKeyRefused  int64 = 900351
	CodeMultipleCerts      int64 = 900352
	CodeCertExpired        int64 = 900353
	CodeCertNotYetValid    int64 = 900354
	CodeWeakKey            int64 = 900355
	CodeUnsupportedKey     int64 = 900356
	CodeKeystorePassword   int64 = 900357
	CodeCertUsage          int64 = 900358 // leaf vs CA, extended key usage
	CodeTierNotFound       int64 = 900360
	CodeTierInUse          int64 = 900361
	CodeTierExists         int64 = 900362
	CodeProfileNotFound    int64 = 900370 // backend profile
	CodeProfileExists      int64 = 900371
	CodeServerInUse        int64 = 900372 // host:port already in another profile
	CodeTrustStoreMissing  int64 = 900373
	CodeKeyMismatch        int64 = 900374 // key store: key does not match the certificate
	CodeKeyStoreInvalid    int64 = 900375 // key store: no key, several keys, encrypted PEM key, ...
	CodeEncryptionRequired int64 = 900376 // private key upload without an encryption key
	CodeInternal           int64 = 900967 // WSO2's "General Error"
)

// HTTP statuses carried by errors (kept as numbers so the domain does not
// import net/http).
const (
	StatusBadRequest       = 400
	StatusUnauthorized     = 401
	StatusNotFound         = 404
	StatusMethodNotAllowed = 405
	StatusConflict         = 409
	StatusTooLarge         = 413
	StatusUnprocessable    = 422
	StatusInternal         = 500
)

// Error is the one error type the transport renders: an HTTP status, a
// stable numeric code, a short message and a human description.
type Error struct {
	Kind        error  // one of the sentinel errors above
	Status      int    // HTTP status to answer with
	Code        int64  // stable error code
	Message     string // short, generic ("Certificate expired")
	Description string // specific, actionable
	Err         error  // optional underlying cause (never shown to clients)
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Message, e.Description, e.Err)
	}
	return e.Message + ": " + e.Description
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func newErr(kind error, status int, code int64, msg, format string, args ...any) *Error {
	return &Error{Kind: kind, Status: status, Code: code, Message: msg, Description: fmt.Sprintf(format, args...)}
}

// Invalid returns a 400 validation error with the given code.
func Invalid(code int64, msg, format string, args ...any) *Error {
	return newErr(ErrInvalid, StatusBadRequest, code, msg, format, args...)
}

// APINotFound reports an unknown API id.
func APINotFound(id string) *Error {
	return newErr(ErrNotFound, StatusNotFound, CodeAPINotFound, "API not found", "no API with id %q", id)
}

// APIExists reports a context+version already used by another API.
func APIExists(context, version string) *Error {
	return newErr(ErrAlreadyExists, StatusConflict, CodeAPIExists, "API already exists",
		"an API with context %q and version %q already exists", context, version)
}

// CertNotFound reports an unknown alias on an API.
func CertNotFound(apiID, alias string) *Error {
	return newErr(ErrNotFound, StatusNotFound, CodeCertNotFound, "Certificate not found",
		"no client certificate with alias %q on API %q", alias, apiID)
}

// AliasExists reports an alias already used on the API.
func AliasExists(alias string) *Error {
	return newErr(ErrAlreadyExists, StatusConflict, CodeAliasExists, "Alias already exists",
		"a client certificate with alias %q already exists on this API", alias)
}

// CertAlreadyBound reports the same certificate bound under another alias.
func CertAlreadyBound(otherAlias string) *Error {
	return newErr(ErrAlreadyExists, StatusConflict, CodeCertAlreadyBound, "Certificate already added",
		"this certificate is already bound to the API under alias %q", otherAlias)
}

// TierNotFound reports an unknown tier name. status is 404 when the tier is
// the addressed resource and 400 when it is referenced from another one.
func TierNotFound(name string, status int) *Error {
	return newErr(ErrNotFound, status, CodeTierNotFound, "Tier not found", "no throttling tier named %q", name)
}

// TierExists reports a tier name already taken.
func TierExists(name string) *Error {
	return newErr(ErrAlreadyExists, StatusConflict, CodeTierExists, "Tier already exists",
		"a throttling tier named %q already exists", name)
}

// TierInUse reports a tier still referenced by certificates or APIs.
func TierInUse(name string, uses int) *Error {
	return newErr(ErrConflict, StatusConflict, CodeTierInUse, "Tier in use",
		"throttling tier %q is used by %d certificate(s) or API(s); change them first", name, uses)
}

// ProfileNotFound reports an unknown backend profile name.
func ProfileNotFound(name string) *Error {
	return newErr(ErrNotFound, StatusNotFound, CodeProfileNotFound, "Backend profile not found", "no backend profile named %q", name)
}

// ProfileExists reports a backend profile name already taken.
func ProfileExists(name string) *Error {
	return newErr(ErrAlreadyExists, StatusConflict, CodeProfileExists, "Backend profile already exists",
		"a backend profile named %q already exists", name)
}

// ServerInUse reports a host:port already listed by another profile (an
// endpoint must match exactly one profile).
func ServerInUse(server, profile string) *Error {
	return newErr(ErrConflict, StatusConflict, CodeServerInUse, "Server already in a profile",
		"server %q is already listed by backend profile %q; remove it there first", server, profile)
}

// EncryptionKeyRequired refuses to store a private key in a store without
// encryption at rest.
func EncryptionKeyRequired() *Error {
	return newErr(ErrInvalid, StatusUnprocessable, CodeEncryptionRequired, "Encryption key required",
		"private keys are stored only with encryption at rest: start the manager with --encryption-key-file "+
			"(or CERTGATE_ENCRYPTION_KEY_FILE / --encryption-key / CERTGATE_ENCRYPTION_KEY) holding a 16, 24 or 32-byte AES key "+
			"in hex or base64 (for example: openssl rand -hex 32); profiles with a trust store only need no key")
}

// BodyTooLarge reports a request body over limit bytes.
func BodyTooLarge(limit int64) *Error {
	return newErr(ErrTooLarge, StatusTooLarge, CodeBodyTooLarge, "Request body too large",
		"the request body exceeds the limit of %d bytes", limit)
}

// Internal wraps an unexpected failure as a 500; the cause is logged, not shown.
func Internal(err error) *Error {
	return &Error{Kind: err, Status: StatusInternal, Code: CodeInternal,
		Message: "Internal server error", Description: "the server could not complete the request", Err: err}
}

// AsError converts any error to an *Error, wrapping unknown ones as Internal.
func AsError(err error) *Error {
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	return Internal(err)
}
