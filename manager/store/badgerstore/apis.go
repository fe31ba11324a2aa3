package badgerstore

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/certgate/certgate/manager/domain"
)

// CreateAPI implements domain.Store. It assigns the id when empty; the
// context+version pair must be free. Marking it default unmarks the
// context's previous default version.
func (s *Store) CreateAPI(ctx context.Context, a domain.API) (domain.API, error) {
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	var out domain.API
	err := s.change(ctx, domain.ActionAPICreate, "apis/"+a.ID, func(t *tx) (string, error) {
		a := a
		a.CreatedAt, a.UpdatedAt = t.now, t.now
		if found, err := t.exists(apiKey(a.ID)); err != nil || found {
			if err == nil {
				err = domain.APIExists(a.Context, a.Version)
			}
			return "", err
		}
		if err := t.claimContext(a, ""); err != nil {
			return "", err
		}
		if err := t.writeAPI(a, domain.API{}); err != nil {
			return "", err
		}
		out = a
		return a.Identifier() + " " + a.Context + "/" + a.Version, nil
	})
	return out, err
}

// UpdateAPI implements domain.Store (full replacement; id and creation time kept).
func (s *Store) UpdateAPI(ctx context.Context, a domain.API) (domain.API, error) {
	var out domain.API
	err := s.change(ctx, domain.ActionAPIUpdate, "apis/"+a.ID, func(t *tx) (string, error) {
		a := a
		old, err := t.getAPI(a.ID)
		if err != nil {
			return "", err
		}
		a.CreatedAt, a.UpdatedAt = old.CreatedAt, t.now
		if old.Context != a.Context || old.Version != a.Version {
			if err := t.claimContext(a, a.ID); err != nil {
				return "", err
			}
			if err := t.txn.Delete(apiCtxKey(old.Context, old.Version)); err != nil {
				return "", err
			}
		}
		if err := t.writeAPI(a, old); err != nil {
			return "", err
		}
		out = a
		return a.Identifier() + " " + a.Context + "/" + a.Version, nil
	})
	return out, err
}

// DeleteAPI implements domain.Store.
func (s *Store) DeleteAPI(ctx context.Context, id string) error {
	return s.change(ctx, domain.ActionAPIDelete, "apis/"+id, func(t *tx) (string, error) {
		a, err := t.getAPI(id)
		if err != nil {
			return "", err
		}
		if err := t.txn.Delete(apiKey(id)); err != nil {
			return "", err
		}
		if err := t.txn.Delete(apiCtxKey(a.Context, a.Version)); err != nil {
			return "", err
		}
		if err := t.releaseDefault(a); err != nil {
			return "", err
		}
		if a.APIThrottlingPolicy != "" {
			if err := t.txn.Delete(useKey(a.APIThrottlingPolicy, id, "")); err != nil {
				return "", err
			}
		}
		var certs []certRecord
		if err := scanJSON(t.txn, certPrefix(id), func(r certRecord) error { certs = append(certs, r); return nil }); err != nil {
			return "", err
		}
		for _, r := range certs {
			if err := t.retireCert(r); err != nil {
				return "", err
			}
		}
		if err := t.txn.Delete(certCountKey(id)); err != nil {
			return "", err
		}
		return a.Identifier() + " and its certificates", nil
	})
}

// GetAPI implements domain.Store.
func (s *Store) GetAPI(_ context.Context, id string) (domain.API, error) {
	var out domain.API
	err := s.view(func(txn *badger.Txn) (err error) {
		out, err = readAPI(txn, id)
		return err
	})
	return out, err
}

// ListAPIs implements domain.Store (ordered by id).
func (s *Store) ListAPIs(context.Context) ([]domain.API, error) {
	var out []domain.API
	err := s.view(func(txn *badger.Txn) (err error) { out, err = listAPIs(txn); return err })
	return out, err
}

func listAPIs(txn *badger.Txn) ([]domain.API, error) {
	out := []domain.API{}
	err := scanJSON(txn, []byte("api/"), func(r apiRecord) error { out = append(out, r.domain()); return nil })
	return out, err
}

func readAPI(txn *badger.Txn, id string) (domain.API, error) {
	var r apiRecord
	found, err := getJSON(txn, apiKey(id), &r)
	if err != nil {
		return domain.API{}, err
	}
	if !found {
		return domain.API{}, domain.APINotFound(id)
	}
	return r.domain(), nil
}

func (t *tx) getAPI(id string) (domain.API, error) { return readAPI(t.txn, id) }

// claimContext reserves a's context+version unless another API holds it.
func (t *tx) claimContext(a domain.API, self string) error {
	holder, err := getString(t.txn, apiCtxKey(a.Context, a.Version))
	if err != nil {
		return err
	}
	if holder != "" && holder != self {
		return domain.APIExists(a.Context, a.Version)
	}
	return t.txn.Set(apiCtxKey(a.Context, a.Version), []byte(a.ID))
}

// writeAPI stores a and keeps the default-version and tier-use indexes in
// step with the change from old (zero API for a create).
func (t *tx) writeAPI(a, old domain.API) error {
	if a.APIThrottlingPolicy != old.APIThrottlingPolicy {
		if a.APIThrottlingPolicy != "" {
			if err := t.requireTier(a.APIThrottlingPolicy); err != nil {
				return err
			}
			if err := t.txn.Set(useKey(a.APIThrottlingPolicy, a.ID, ""), nil); err != nil {
				return err
			}
		}
		if old.APIThrottlingPolicy != "" {
			if err := t.txn.Delete(useKey(old.APIThrottlingPolicy, a.ID, "")); err != nil {
				return err
			}
		}
	}
	if old.ID != "" && old.IsDefaultVersion && (!a.IsDefaultVersion || old.Context != a.Context) {
		if err := t.releaseDefault(old); err != nil {
			return err
		}
	}
	if a.IsDefaultVersion {
		prev, err := getString(t.txn, apiDefaultKey(a.Context))
		if err != nil {
			return err
		}
		if prev != "" && prev != a.ID { // one default version per context: unmark the previous one
			p, err := t.getAPI(prev)
			if err != nil {
				return err
			}
			p.IsDefaultVersion, p.UpdatedAt = false, t.now
			if err := t.setJSON(apiKey(p.ID), toAPIRecord(p)); err != nil {
				return err
			}
		}
		if err := t.txn.Set(apiDefaultKey(a.Context), []byte(a.ID)); err != nil {
			return err
		}
	}
	return t.setJSON(apiKey(a.ID), toAPIRecord(a))
}

// releaseDefault drops the context's default pointer if it points at a.
func (t *tx) releaseDefault(a domain.API) error {
	cur, err := getString(t.txn, apiDefaultKey(a.Context))
	if err != nil || cur != a.ID {
		return err
	}
	return t.txn.Delete(apiDefaultKey(a.Context))
}

// requireTier returns a 400 error when the referenced tier does not exist.
func (t *tx) requireTier(name string) error {
	found, err := t.exists(tierKey(name))
	if err == nil && !found {
		err = domain.TierNotFound(name, domain.StatusBadRequest)
	}
	return err
}
