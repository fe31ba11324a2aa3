// Package domain holds the manager's business types (APIs, client
// certificates, throttling tiers, audit entries), their validation, the Store
// interface that persistence implements, and the errors every layer shares.
//
// It imports neither the HTTP framework nor the storage engine: transport
// (manager/api) and storage (manager/store/badgerstore) depend on it, never
// the other way round.
package domain
