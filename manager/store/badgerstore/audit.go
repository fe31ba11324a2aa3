package badgerstore

import (
	"context"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/certgate/certgate/manager/domain"
)

var timeZero time.Time

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// ListAudit implements domain.Store. Audit sequence numbers are the config
// versions 1..N without gaps, so a page is N-offset down to N-offset-limit+1.
func (s *Store) ListAudit(_ context.Context, offset, limit int) ([]domain.AuditEntry, int, error) {
	out := []domain.AuditEntry{}
	var total int
	err := s.view(func(txn *badger.Txn) error {
		v, err := readVersion(txn)
		if err != nil {
			return err
		}
		total = int(v)
		for seq := total - offset; seq > 0 && seq > total-offset-limit; seq-- {
			var r auditRecord
			found, err := getJSON(txn, auditKey(uint64(seq)), &r)
			if err != nil {
				return err
			}
			if found {
				out = append(out, r.domain())
			}
		}
		return nil
	})
	return out, total, err
}

// ReadConfig implements domain.Store.
func (s *Store) ReadConfig(context.Context) (domain.ConfigState, error) {
	var st domain.ConfigState
	err := s.view(func(txn *badger.Txn) (err error) {
		if st.Version, err = readVersion(txn); err != nil {
			return err
		}
		if st.APIs, err = listAPIs(txn); err != nil {
			return err
		}
		if st.Certificates, err = listActiveCerts(txn); err != nil {
			return err
		}
		if st.Tiers, err = listTiers(txn); err != nil {
			return err
		}
		st.BackendProfiles, err = listProfiles(txn)
		return err
	})
	return st, err
}
