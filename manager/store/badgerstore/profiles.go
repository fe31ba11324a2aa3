package badgerstore

import (
	"context"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/certgate/certgate/manager/domain"
)

func profileResource(name string) string { return "backend-profiles/" + name }

// CreateBackendProfile implements domain.Store: the name and every server
// are claimed in the transaction that writes the profile.
func (s *Store) CreateBackendProfile(ctx context.Context, p domain.BackendProfile) (domain.BackendProfile, error) {
	if p.KeyStore != nil && !s.encrypted {
		return domain.BackendProfile{}, domain.EncryptionKeyRequired()
	}
	var out domain.BackendProfile
	err := s.change(ctx, domain.ActionProfileCreate, profileResource(p.Name), func(t *tx) (string, error) {
		p := p
		if found, err := t.exists(profileKey(p.Name)); err != nil || found {
			if err == nil {
				err = domain.ProfileExists(p.Name)
			}
			return "", err
		}
		p.CreatedAt, p.UpdatedAt = t.now, t.now
		if err := t.writeProfile(p, nil); err != nil {
			return "", err
		}
		out = p
		return profileDetail(p), nil
	})
	return out, err
}

// UpdateBackendProfile implements domain.Store (full replacement).
func (s *Store) UpdateBackendProfile(ctx context.Context, p domain.BackendProfile) (domain.BackendProfile, error) {
	if p.KeyStore != nil && !s.encrypted {
		return domain.BackendProfile{}, domain.EncryptionKeyRequired()
	}
	var out domain.BackendProfile
	err := s.change(ctx, domain.ActionProfileUpdate, profileResource(p.Name), func(t *tx) (string, error) {
		p := p
		old, err := readProfile(t.txn, p.Name)
		if err != nil {
			return "", err
		}
		p.CreatedAt, p.UpdatedAt = old.CreatedAt, t.now
		if err := t.writeProfile(p, old.Servers); err != nil {
			return "", err
		}
		out = p
		return profileDetail(p), nil
	})
	return out, err
}

// DeleteBackendProfile implements domain.Store.
func (s *Store) DeleteBackendProfile(ctx context.Context, name string) error {
	return s.change(ctx, domain.ActionProfileDelete, profileResource(name), func(t *tx) (string, error) {
		old, err := readProfile(t.txn, name)
		if err != nil {
			return "", err
		}
		for _, srv := range old.Servers {
			if err := t.txn.Delete(profileServerKey(srv)); err != nil {
				return "", err
			}
		}
		return name, t.txn.Delete(profileKey(name))
	})
}

// GetBackendProfile implements domain.Store.
func (s *Store) GetBackendProfile(_ context.Context, name string) (domain.BackendProfile, error) {
	var out domain.BackendProfile
	err := s.view(func(txn *badger.Txn) (err error) { out, err = readProfile(txn, name); return err })
	return out, err
}

// ListBackendProfiles implements domain.Store (ordered by name).
func (s *Store) ListBackendProfiles(context.Context) ([]domain.BackendProfile, error) {
	var out []domain.BackendProfile
	err := s.view(func(txn *badger.Txn) (err error) { out, err = listProfiles(txn); return err })
	return out, err
}

func listProfiles(txn *badger.Txn) ([]domain.BackendProfile, error) {
	out := []domain.BackendProfile{}
	err := scanJSON(txn, []byte("bp/"), func(r profileRecord) error { out = append(out, r.domain()); return nil })
	return out, err
}

func readProfile(txn *badger.Txn, name string) (domain.BackendProfile, error) {
	var r profileRecord
	found, err := getJSON(txn, profileKey(name), &r)
	if err == nil && !found {
		err = domain.ProfileNotFound(name)
	}
	return r.domain(), err
}

// writeProfile stores p and moves the server index from oldServers to
// p.Servers; a server listed by another profile is a conflict.
func (t *tx) writeProfile(p domain.BackendProfile, oldServers []string) error {
	for _, srv := range oldServers {
		if err := t.txn.Delete(profileServerKey(srv)); err != nil {
			return err
		}
	}
	for _, srv := range p.Servers {
		holder, err := getString(t.txn, profileServerKey(srv))
		if err != nil {
			return err
		}
		if holder != "" && holder != p.Name {
			return domain.ServerInUse(srv, holder)
		}
		if err := t.txn.Set(profileServerKey(srv), []byte(p.Name)); err != nil {
			return err
		}
	}
	return t.setJSON(profileKey(p.Name), toProfileRecord(p))
}

// profileDetail is the audit detail: names and fingerprints, never key material.
func profileDetail(p domain.BackendProfile) string {
	d := "servers=" + strings.Join(p.Servers, ",") + " trust=" + itoa(int64(len(p.TrustStore))) + " hostnameVerification=" + p.HostnameVerification
	if p.SNI != "" {
		d += " sni=" + p.SNI
	}
	if p.KeyStore != nil {
		d += " client=" + p.KeyStore.Fingerprint
	}
	return d
}

type profileRecord struct {
	Name       string          `json:"name"`
	Servers    []string        `json:"servers"`
	Trust      []trustRecord   `json:"trust"`
	KeyStore   *keyStoreRecord `json:"keyStore,omitempty"`
	HostVerify string          `json:"hostnameVerification"`
	SNI        string          `json:"sni,omitempty"`
	MinVersion string          `json:"tlsMin,omitempty"`
	MaxVersion string          `json:"tlsMax,omitempty"`
	CreatedAt  time.Time       `json:"created"`
	UpdatedAt  time.Time       `json:"updated"`
}

type trustRecord struct {
	DER         []byte    `json:"der"`
	Subject     string    `json:"subject"`
	Fingerprint string    `json:"sha256"`
	NotAfter    time.Time `json:"notAfter"`
}

// keyStoreRecord holds the private key: the database is encrypted at rest
// (a store without an encryption key refuses key stores).
type keyStoreRecord struct {
	ChainDER    [][]byte  `json:"chain"`
	KeyPKCS8    []byte    `json:"key"`
	Subject     string    `json:"subject"`
	Fingerprint string    `json:"sha256"`
	NotAfter    time.Time `json:"notAfter"`
	KeyType     string    `json:"keyType"`
	KeySize     int       `json:"keySize"`
}

func toProfileRecord(p domain.BackendProfile) profileRecord {
	r := profileRecord{Name: p.Name, Servers: p.Servers, HostVerify: p.HostnameVerification, SNI: p.SNI,
		MinVersion: p.TLSMinVersion, MaxVersion: p.TLSMaxVersion, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, c := range p.TrustStore {
		r.Trust = append(r.Trust, trustRecord(c))
	}
	if ks := p.KeyStore; ks != nil {
		kr := keyStoreRecord(*ks)
		r.KeyStore = &kr
	}
	return r
}

func (r profileRecord) domain() domain.BackendProfile {
	p := domain.BackendProfile{Name: r.Name, Servers: r.Servers, HostnameVerification: r.HostVerify, SNI: r.SNI,
		TLSMinVersion: r.MinVersion, TLSMaxVersion: r.MaxVersion, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, c := range r.Trust {
		p.TrustStore = append(p.TrustStore, domain.TrustedCertificate(c))
	}
	if r.KeyStore != nil {
		ks := domain.KeyStore(*r.KeyStore)
		p.KeyStore = &ks
	}
	return p
}
