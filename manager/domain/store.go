package domain

import "context"

// CertQuery selects a page of an API's certificates, ordered by alias.
type CertQuery struct {
	Alias  string // exact alias filter; empty for all
	Offset int
	Limit  int
}

// CertPage is one page of certificates plus the total matching count.
type CertPage struct {
	Items []ClientCertificate
	Total int
}

// CertUpdate changes a certificate in place: a new certificate (with its
// derived fields filled), a new tier, or both. Nil fields stay unchanged.
type CertUpdate struct {
	Certificate *ClientCertificate
	Tier        *string
}

// ConfigState is a consistent read of everything gateways need, taken at
// one config version: the input of the snapshot builder.
type ConfigState struct {
	Version      uint64
	APIs         []API
	Certificates []ClientCertificate // active only, every API
	Tiers        []Tier
	// BackendProfiles are the backend mutual-TLS profiles, with their keys.
	BackendProfiles []BackendProfile
}

// Store persists the manager's state. Every method that changes state is
// durable when it returns nil, writes an AuditEntry (actor from ctx) and
// bumps the config version in the same transaction, then notifies watchers.
type Store interface {
	CreateAPI(ctx context.Context, api API) (API, error)
	UpdateAPI(ctx context.Context, api API) (API, error)
	// DeleteAPI removes the API and moves its certificates to history.
	DeleteAPI(ctx context.Context, id string) error
	GetAPI(ctx context.Context, id string) (API, error)
	ListAPIs(ctx context.Context) ([]API, error)

	// AddCertificate binds c to its API; the alias and the certificate's
	// fingerprint must both be new on that API (create-if-absent, atomic).
	AddCertificate(ctx context.Context, c ClientCertificate) (ClientCertificate, error)
	UpdateCertificate(ctx context.Context, apiID, alias string, u CertUpdate) (ClientCertificate, error)
	// RemoveCertificate keeps the certificate as history (Removed) and frees the alias.
	RemoveCertificate(ctx context.Context, apiID, alias string) (ClientCertificate, error)
	GetCertificate(ctx context.Context, apiID, alias string) (ClientCertificate, error)
	ListCertificates(ctx context.Context, apiID string, q CertQuery) (CertPage, error)
	// CertificateHistory lists removed and replaced certificates of an API.
	CertificateHistory(ctx context.Context, apiID string) ([]ClientCertificate, error)
	// ListActiveCertificates lists every active certificate of every API.
	ListActiveCertificates(ctx context.Context) ([]ClientCertificate, error)

	CreateTier(ctx context.Context, t Tier) (Tier, error)
	UpdateTier(ctx context.Context, t Tier) (Tier, error)
	DeleteTier(ctx context.Context, name string) error
	GetTier(ctx context.Context, name string) (Tier, error)
	ListTiers(ctx context.Context) ([]Tier, error)

	// CreateBackendProfile stores a new profile; its name and each of its
	// servers must be free. A profile with a KeyStore is refused with
	// EncryptionKeyRequired unless the store encrypts at rest.
	CreateBackendProfile(ctx context.Context, p BackendProfile) (BackendProfile, error)
	// UpdateBackendProfile replaces a profile (creation time kept).
	UpdateBackendProfile(ctx context.Context, p BackendProfile) (BackendProfile, error)
	DeleteBackendProfile(ctx context.Context, name string) error
	GetBackendProfile(ctx context.Context, name string) (BackendProfile, error)
	// ListBackendProfiles lists every profile, ordered by name.
	ListBackendProfiles(ctx context.Context) ([]BackendProfile, error)

	// ListAudit returns audit entries newest first, and the total count.
	ListAudit(ctx context.Context, offset, limit int) ([]AuditEntry, int, error)

	// ReadConfig reads APIs, active certificates, tiers and backend profiles
	// in one consistent view.
	ReadConfig(ctx context.Context) (ConfigState, error)
	// ConfigVersion is the version of the last committed change.
	ConfigVersion() uint64
	// Watch returns the current version and a channel closed after the next
	// committed change (see Broadcaster).
	Watch() (uint64, <-chan struct{})
	// Ready reports whether the store can serve reads.
	Ready(ctx context.Context) error
	Close() error
}
