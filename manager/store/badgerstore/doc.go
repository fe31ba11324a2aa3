// Package badgerstore implements domain.Store on Badger v4.
//
// Layout (all keys are plain byte strings):
//
//	meta/version                       uint64 config version (big endian)
//	meta/init                          present once default tiers are seeded
//	api/<id>                           apiRecord (JSON)
//	apik/<context>\x00<version>        <id>: context+version uniqueness
//	apidef/<context>                   <id>: the context's default version
//	cert/<apiID>/<alias>               certRecord: active certificate
//	certn/<apiID>                      uint64 number of active certificates
//	certfp/<apiID>/<sha256>            <alias>: one binding per certificate per API
//	hist/<apiID>/<alias>/<version>     certRecord with Removed set (history)
//	tier/<name>                        tierRecord
//	use/<tier>/<apiID>/<alias>         tier reference (alias empty: the API's policy)
//	bp/<name>                          profileRecord: backend TLS profile (with its private key)
//	bps/<host:port>                    <name>: each server belongs to one profile
//	audit/<version>                    auditRecord, one per change
//
// Encryption at rest: with Options.EncryptionKey the whole database (SST
// tables, value log and write-ahead memtables) is AES-encrypted by Badger;
// backend profiles with a private key are refused without it. Badger cannot
// open an unencrypted directory with a key, nor an encrypted one without
// (or with another) key: Open then fails with ErrEncryptionKeyMismatch.
//
// Every change runs in one read-write transaction that also bumps
// meta/version and appends the audit record; writes are serialised by a
// mutex (so optimistic conflicts cannot happen between our own writers) and
// still retried on badger.ErrConflict. The database is opened with
// SyncWrites, so a change is on disk when the method returns.
package badgerstore
