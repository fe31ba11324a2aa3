package badgerstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/certgate/certgate/manager/domain"
)

// Options tune Open.
type Options struct {
	// UnsafeNoSync turns synchronous writes off. Only for seeding test and
	// benchmark data: a crash may then lose acknowledged changes.
	UnsafeNoSync bool
	// Logger receives Badger's warnings and errors (nil: discarded).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// EncryptionKey, when set, turns on Badger's encryption at rest (AES
	// with a 16, 24 or 32-byte key; see LoadEncryptionKey). Private keys of
	// backend profiles are accepted only then. A directory created without a
	// key cannot be opened with one, nor the other way round.
	EncryptionKey []byte
}

// Store is the Badger implementation of domain.Store.
type Store struct {
	db  *badger.DB
	mu  sync.Mutex // serialises writers
	bc  *domain.Broadcaster
	now func() time.Time
	// encrypted is true when the database is encrypted at rest.
	encrypted bool
	// closeMu makes Close wait for running transactions: Badger panics when
	// a transaction iterates a closed database.
	closeMu sync.RWMutex
	closed  bool
}

// errClosed is returned by every method called after Close.
var errClosed = errors.New("badgerstore: closed")

// view runs fn in a read-only transaction unless the store is closed.
func (s *Store) view(fn func(*badger.Txn) error) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return errClosed
	}
	return s.db.View(fn)
}

// update runs fn in a read-write transaction unless the store is closed.
func (s *Store) update(fn func(*badger.Txn) error) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return errClosed
	}
	return s.db.Update(fn)
}

var _ domain.Store = (*Store)(nil)

// maxConflictRetries bounds the retries of a change that hit badger.ErrConflict.
const maxConflictRetries = 16

// Open opens (creating if needed) the store in dir with durable writes, and
// seeds the default tiers on first use.
func Open(dir string) (*Store, error) { return OpenWithOptions(dir, Options{}) }

// OpenWithOptions is Open with options.
func OpenWithOptions(dir string, o Options) (*Store, error) {
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(!o.UnsafeNoSync).
		WithLogger(badgerLogger{o.Logger}).
		WithNumVersionsToKeep(1).
		WithMemTableSize(16 << 20).
		WithValueLogFileSize(64 << 20).
		WithBlockCacheSize(16 << 20).
		WithNumCompactors(2)
	if len(o.EncryptionKey) > 0 {
		if err := checkKeyLength(len(o.EncryptionKey)); err != nil {
			return nil, err
		}
		// Badger needs an index cache with encryption (decrypted block indexes).
		bo = bo.WithEncryptionKey(o.EncryptionKey).WithIndexCacheSize(16 << 20)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, openError(dir, len(o.EncryptionKey) > 0, err)
	}
	s := &Store{db: db, now: o.Now, encrypted: len(o.EncryptionKey) > 0}
	if s.now == nil {
		s.now = time.Now
	}
	var v uint64
	if err := db.View(func(txn *badger.Txn) error { v, err = readVersion(txn); return err }); err != nil {
		db.Close()
		return nil, err
	}
	s.bc = domain.NewBroadcaster(v)
	if err := s.seed(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// seed writes the default tiers once, in the store's first change.
func (s *Store) seed() error {
	err := s.change(domain.WithActor(context.Background(), "system"), domain.ActionStoreCreated, "throttling-policies",
		func(tx *tx) (string, error) {
			if found, err := tx.exists(keyInit); err != nil || found {
				if err == nil {
					err = errAlreadySeeded
				}
				return "", err
			}
			for _, t := range domain.DefaultTiers() {
				if err := tx.setJSON(tierKey(t.Name), toTierRecord(t)); err != nil {
					return "", err
				}
			}
			return "seeded default tiers Bronze, Silver, Gold, Unlimited", tx.txn.Set(keyInit, []byte{1})
		})
	if errors.Is(err, errAlreadySeeded) {
		return nil
	}
	return err
}

var errAlreadySeeded = errors.New("already seeded")

// Encrypted reports whether the database is encrypted at rest (and so
// accepts private keys).
func (s *Store) Encrypted() bool { return s.encrypted }

// Close closes the database.
// Close waits for running transactions, then closes the database; later
// calls fail with an error instead of reaching Badger.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// ConfigVersion implements domain.Store.
func (s *Store) ConfigVersion() uint64 { return s.bc.Version() }

// Watch implements domain.Store.
func (s *Store) Watch() (uint64, <-chan struct{}) { return s.bc.Watch() }

// Ready implements domain.Store.
func (s *Store) Ready(context.Context) error {
	return s.view(func(txn *badger.Txn) error { _, err := readVersion(txn); return err })
}

// tx is a read-write transaction of one change, at its new config version.
type tx struct {
	txn     *badger.Txn
	version uint64 // the version this change will commit as
	now     time.Time
}

// change runs fn in one transaction that also bumps the config version and
// appends an audit entry, retrying on conflicts, then notifies watchers.
// fn may run several times; it returns the audit detail.
func (s *Store) change(ctx context.Context, action, resource string, fn func(*tx) (string, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var committed uint64
	for attempt := 0; ; attempt++ {
		err := s.update(func(txn *badger.Txn) error {
			v, err := readVersion(txn)
			if err != nil {
				return err
			}
			t := &tx{txn: txn, version: v + 1, now: s.now().UTC()}
			detail, err := fn(t)
			if err != nil {
				return err
			}
			rec := auditRecord{Seq: t.version, Time: t.now, Actor: domain.Actor(ctx), Action: action, Resource: resource, Detail: detail}
			if err := t.setJSON(auditKey(t.version), rec); err != nil {
				return err
			}
			committed = t.version
			return txn.Set(keyVersion, encodeUint(t.version))
		})
		if errors.Is(err, badger.ErrConflict) && attempt < maxConflictRetries {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	s.bc.Publish(committed)
	return nil
}

func readVersion(txn *badger.Txn) (uint64, error) {
	item, err := txn.Get(keyVersion)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var v uint64
	err = item.Value(func(b []byte) error { v, err = decodeUint(b); return err })
	return v, err
}

func (t *tx) exists(key []byte) (bool, error) { return exists(t.txn, key) }

func (t *tx) setJSON(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.txn.Set(key, b)
}

func exists(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// getJSON reads key into v; found is false when the key is absent.
func getJSON(txn *badger.Txn, key []byte, v any) (found bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// getString reads a string value; "" when absent.
func getString(txn *badger.Txn, key []byte) (string, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	b, err := item.ValueCopy(nil)
	return string(b), err
}

// scanJSON decodes every value under prefix, in key order, calling fn.
func scanJSON[T any](txn *badger.Txn, prefix []byte, fn func(T) error) error {
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		var v T
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// countPrefix counts keys under prefix without reading values.
func countPrefix(txn *badger.Txn, prefix []byte) int {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	n := 0
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		n++
	}
	return n
}

// badgerLogger forwards Badger's warnings and errors to slog.
type badgerLogger struct{ l *slog.Logger }

// Errorf implements badger.Logger.
func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger: " + fmt.Sprintf(f, a...))
	}
}

// Warningf implements badger.Logger.
func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger: " + fmt.Sprintf(f, a...))
	}
}

// Infof implements badger.Logger (dropped: too chatty for the manager log).
func (badgerLogger) Infof(string, ...any) {}

// Debugf implements badger.Logger (dropped).
func (badgerLogger) Debugf(string, ...any) {}
