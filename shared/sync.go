package shared

// Keys of the filter's sync state (not part of snapshots; a delta may not
// write them).
const (
	// KeySyncLease names the VM that long-polls the manager for the whole
	// Envoy process ("<owner>|<expiry unix ms>"), so N workers make one poll.
	KeySyncLease = "cg/sync/lease"
	// KeySyncApplied holds the manager config version the shared data
	// reflects (decimal ASCII); a new lease owner resumes from it.
	KeySyncApplied = "cg/sync/applied"
	// syncPrefix starts every sync-state key.
	syncPrefix = "cg/sync/"
)

// isSyncKey reports whether key is sync state rather than snapshot data.
func isSyncKey(key string) bool {
	return len(key) >= len(syncPrefix) && key[:len(syncPrefix)] == syncPrefix
}

// The manager's long-poll endpoint, as the filter calls it.
const (
	// SnapshotPath answers GET ?env=&since=&wait= with a Delta (200) or 304.
	SnapshotPath = "/gateway/v1/snapshot"
	// DefaultEnvironment is the environment of gateways and APIs that name none.
	DefaultEnvironment = "Default"
	// HeaderGateway names the polling gateway (shown in the manager's gateways view).
	HeaderGateway = "x-certgate-gateway"
	// HeaderVersion carries the manager's published version in every long-poll answer.
	HeaderVersion = "x-certgate-version"
)
