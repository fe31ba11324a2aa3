package badgerstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/certgate/certgate/manager/domain"
)

func certResource(apiID, alias string) string {
	return "apis/" + apiID + "/client-certificates/" + alias
}

// AddCertificate implements domain.Store: API, tier, alias and fingerprint
// are all checked inside the transaction that writes the certificate and its
// indexes, so concurrent uploads cannot both win.
func (s *Store) AddCertificate(ctx context.Context, c domain.ClientCertificate) (domain.ClientCertificate, error) {
	var out domain.ClientCertificate
	err := s.change(ctx, domain.ActionCertAdd, certResource(c.APIID, c.Alias), func(t *tx) (string, error) {
		c := c
		if _, err := t.getAPI(c.APIID); err != nil {
			return "", err
		}
		if err := t.requireTier(c.Tier); err != nil {
			return "", err
		}
		if found, err := t.exists(certKey(c.APIID, c.Alias)); err != nil || found {
			if err == nil {
				err = domain.AliasExists(c.Alias)
			}
			return "", err
		}
		if err := t.claimFingerprint(c.APIID, c.Fingerprint, c.Alias); err != nil {
			return "", err
		}
		c.Removed, c.CreatedAt, c.UpdatedAt, c.RemovedAt = false, t.now, t.now, timeZero
		if err := t.setJSON(certKey(c.APIID, c.Alias), toCertRecord(c)); err != nil {
			return "", err
		}
		if err := t.txn.Set(useKey(c.Tier, c.APIID, c.Alias), nil); err != nil {
			return "", err
		}
		if err := t.addCertCount(c.APIID, 1); err != nil {
			return "", err
		}
		out = c
		return certDetail(c), nil
	})
	return out, err
}

// UpdateCertificate implements domain.Store. A replaced certificate is kept
// in history like a removed one.
func (s *Store) UpdateCertificate(ctx context.Context, apiID, alias string, u domain.CertUpdate) (domain.ClientCertificate, error) {
	var out domain.ClientCertificate
	err := s.change(ctx, domain.ActionCertUpdate, certResource(apiID, alias), func(t *tx) (string, error) {
		if _, err := t.getAPI(apiID); err != nil {
			return "", err
		}
		old, err := t.getCert(apiID, alias)
		if err != nil {
			return "", err
		}
		c := old.domain()
		if u.Tier != nil && *u.Tier != c.Tier {
			if err := t.requireTier(*u.Tier); err != nil {
				return "", err
			}
			if err := t.txn.Delete(useKey(c.Tier, apiID, alias)); err != nil {
				return "", err
			}
			if err := t.txn.Set(useKey(*u.Tier, apiID, alias), nil); err != nil {
				return "", err
			}
			c.Tier = *u.Tier
		}
		if u.Certificate != nil && u.Certificate.Fingerprint != c.Fingerprint {
			if err := t.claimFingerprint(apiID, u.Certificate.Fingerprint, alias); err != nil {
				return "", err
			}
			if err := t.txn.Delete(certFPKey(apiID, c.Fingerprint)); err != nil {
				return "", err
			}
			if err := t.archive(old); err != nil {
				return "", err
			}
			n := *u.Certificate
			n.APIID, n.Alias, n.Tier, n.CreatedAt = apiID, alias, c.Tier, c.CreatedAt
			c = n
		} else if u.Certificate != nil && u.Certificate.Type != c.Type {
			c.Type, c.SubjectKeyID = u.Certificate.Type, u.Certificate.SubjectKeyID
		}
		c.UpdatedAt = t.now
		if err := t.setJSON(certKey(apiID, alias), toCertRecord(c)); err != nil {
			return "", err
		}
		out = c
		return certDetail(c), nil
	})
	return out, err
}

// RemoveCertificate implements domain.Store.
func (s *Store) RemoveCertificate(ctx context.Context, apiID, alias string) (domain.ClientCertificate, error) {
	var out domain.ClientCertificate
	err := s.change(ctx, domain.ActionCertRemove, certResource(apiID, alias), func(t *tx) (string, error) {
		if _, err := t.getAPI(apiID); err != nil {
			return "", err
		}
		r, err := t.getCert(apiID, alias)
		if err != nil {
			return "", err
		}
		if err := t.retireCert(r); err != nil {
			return "", err
		}
		out = r.domain()
		return certDetail(out), nil
	})
	return out, err
}

// GetCertificate implements domain.Store.
func (s *Store) GetCertificate(_ context.Context, apiID, alias string) (domain.ClientCertificate, error) {
	var out domain.ClientCertificate
	err := s.view(func(txn *badger.Txn) error {
		if _, err := readAPI(txn, apiID); err != nil {
			return err
		}
		r, err := readCert(txn, apiID, alias)
		out = r.domain()
		return err
	})
	return out, err
}

// ListCertificates implements domain.Store. It walks keys only and reads
// values for the requested page, so a page costs O(total keys + page).
func (s *Store) ListCertificates(_ context.Context, apiID string, q domain.CertQuery) (domain.CertPage, error) {
	page := domain.CertPage{Items: []domain.ClientCertificate{}}
	err := s.view(func(txn *badger.Txn) error {
		if _, err := readAPI(txn, apiID); err != nil {
			return err
		}
		if q.Alias != "" {
			var r certRecord
			found, err := getJSON(txn, certKey(apiID, q.Alias), &r)
			if err != nil || !found {
				return err
			}
			page.Total = 1
			if q.Offset == 0 && q.Limit > 0 {
				page.Items = append(page.Items, r.domain())
			}
			return nil
		}
		total, err := certCount(txn, apiID)
		if err != nil {
			return err
		}
		page.Total = total
		if q.Offset >= total {
			return nil
		}
		prefix := certPrefix(apiID)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		i := 0
		for it.Seek(prefix); it.ValidForPrefix(prefix) && i < q.Offset+q.Limit; it.Next() {
			if i >= q.Offset {
				var r certRecord
				if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) }); err != nil {
					return err
				}
				page.Items = append(page.Items, r.domain())
			}
			i++
		}
		return nil
	})
	return page, err
}

// CertificateHistory implements domain.Store.
func (s *Store) CertificateHistory(_ context.Context, apiID string) ([]domain.ClientCertificate, error) {
	out := []domain.ClientCertificate{}
	err := s.view(func(txn *badger.Txn) error {
		return scanJSON(txn, histPrefix(apiID), func(r certRecord) error { out = append(out, r.domain()); return nil })
	})
	return out, err
}

// ListActiveCertificates implements domain.Store.
func (s *Store) ListActiveCertificates(context.Context) ([]domain.ClientCertificate, error) {
	var out []domain.ClientCertificate
	err := s.view(func(txn *badger.Txn) (err error) { out, err = listActiveCerts(txn); return err })
	return out, err
}

func listActiveCerts(txn *badger.Txn) ([]domain.ClientCertificate, error) {
	out := []domain.ClientCertificate{}
	err := scanJSON(txn, []byte("cert/"), func(r certRecord) error { out = append(out, r.domain()); return nil })
	return out, err
}

func readCert(txn *badger.Txn, apiID, alias string) (certRecord, error) {
	var r certRecord
	found, err := getJSON(txn, certKey(apiID, alias), &r)
	if err == nil && !found {
		err = domain.CertNotFound(apiID, alias)
	}
	return r, err
}

func (t *tx) getCert(apiID, alias string) (certRecord, error) { return readCert(t.txn, apiID, alias) }

// claimFingerprint binds fp to alias on the API unless another alias has it.
func (t *tx) claimFingerprint(apiID, fp, alias string) error {
	holder, err := getString(t.txn, certFPKey(apiID, fp))
	if err != nil {
		return err
	}
	if holder != "" && holder != alias {
		return domain.CertAlreadyBound(holder)
	}
	return t.txn.Set(certFPKey(apiID, fp), []byte(alias))
}

// retireCert moves an active certificate to history and frees its alias,
// fingerprint and tier reference.
func (t *tx) retireCert(r certRecord) error {
	for _, k := range [][]byte{certKey(r.APIID, r.Alias), certFPKey(r.APIID, r.Fingerprint), useKey(r.Tier, r.APIID, r.Alias)} {
		if err := t.txn.Delete(k); err != nil {
			return err
		}
	}
	if err := t.addCertCount(r.APIID, -1); err != nil {
		return err
	}
	return t.archive(r)
}

// archive writes r to history with the REMOVED flag set.
func (t *tx) archive(r certRecord) error {
	r.Removed, r.RemovedAt = true, t.now
	return t.setJSON(histKey(r.APIID, r.Alias, t.version), r)
}

func certDetail(c domain.ClientCertificate) string {
	return "type=" + string(c.Type) + " tier=" + c.Tier + " cn=" + c.CommonName + " sha256=" + c.Fingerprint
}

// certCount reads the API's active-certificate counter (kept in the same
// transactions that add and retire certificates).
func certCount(txn *badger.Txn, apiID string) (int, error) {
	item, err := txn.Get(certCountKey(apiID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(b []byte) error { n, err = decodeUint(b); return err })
	return int(n), err
}

func (t *tx) addCertCount(apiID string, delta int) error {
	n, err := certCount(t.txn, apiID)
	if err != nil {
		return err
	}
	if n+delta < 0 {
		return fmt.Errorf("badgerstore: certificate count of API %s would go negative", apiID)
	}
	return t.txn.Set(certCountKey(apiID), encodeUint(uint64(n+delta)))
}
