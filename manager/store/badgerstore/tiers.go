package badgerstore

import (
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/certgate/certgate/manager/domain"
)

// CreateTier implements domain.Store.
func (s *Store) CreateTier(ctx context.Context, tr domain.Tier) (domain.Tier, error) {
	err := s.change(ctx, domain.ActionTierCreate, "throttling-policies/subscription/"+tr.Name, func(t *tx) (string, error) {
		if found, err := t.exists(tierKey(tr.Name)); err != nil || found {
			if err == nil {
				err = domain.TierExists(tr.Name)
			}
			return "", err
		}
		return tierDetail(tr), t.setJSON(tierKey(tr.Name), toTierRecord(tr))
	})
	return tr, err
}

// UpdateTier implements domain.Store.
func (s *Store) UpdateTier(ctx context.Context, tr domain.Tier) (domain.Tier, error) {
	err := s.change(ctx, domain.ActionTierUpdate, "throttling-policies/subscription/"+tr.Name, func(t *tx) (string, error) {
		if found, err := t.exists(tierKey(tr.Name)); err != nil || !found {
			if err == nil {
				err = domain.TierNotFound(tr.Name, domain.StatusNotFound)
			}
			return "", err
		}
		return tierDetail(tr), t.setJSON(tierKey(tr.Name), toTierRecord(tr))
	})
	return tr, err
}

// DeleteTier implements domain.Store; a tier referenced by a certificate or
// an API cannot be deleted.
func (s *Store) DeleteTier(ctx context.Context, name string) error {
	return s.change(ctx, domain.ActionTierDelete, "throttling-policies/subscription/"+name, func(t *tx) (string, error) {
		if found, err := t.exists(tierKey(name)); err != nil || !found {
			if err == nil {
				err = domain.TierNotFound(name, domain.StatusNotFound)
			}
			return "", err
		}
		if n := countPrefix(t.txn, usePrefix(name)); n > 0 {
			return "", domain.TierInUse(name, n)
		}
		return name, t.txn.Delete(tierKey(name))
	})
}

// GetTier implements domain.Store.
func (s *Store) GetTier(_ context.Context, name string) (domain.Tier, error) {
	var r tierRecord
	err := s.view(func(txn *badger.Txn) error {
		found, err := getJSON(txn, tierKey(name), &r)
		if err == nil && !found {
			err = domain.TierNotFound(name, domain.StatusNotFound)
		}
		return err
	})
	return r.domain(), err
}

// ListTiers implements domain.Store (ordered by name).
func (s *Store) ListTiers(context.Context) ([]domain.Tier, error) {
	var out []domain.Tier
	err := s.view(func(txn *badger.Txn) (err error) { out, err = listTiers(txn); return err })
	return out, err
}

func listTiers(txn *badger.Txn) ([]domain.Tier, error) {
	out := []domain.Tier{}
	err := scanJSON(txn, []byte("tier/"), func(r tierRecord) error { out = append(out, r.domain()); return nil })
	return out, err
}

func tierDetail(t domain.Tier) string {
	if t.Unlimited {
		return t.Name + " unlimited"
	}
	return t.Name + " " + itoa(t.RequestCount) + "/" + itoa(t.UnitTime) + t.TimeUnit
}
