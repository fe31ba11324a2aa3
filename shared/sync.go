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
