package domain

import (
	"context"
	"sync"
)

// Broadcaster announces config-version changes to any number of waiters
// without blocking the writer: each Publish closes the channel handed out by
// Watch and replaces it. Long-poll handlers and push loops wait on it.
type Broadcaster struct {
	mu      sync.Mutex
	version uint64
	changed chan struct{}
}

// NewBroadcaster returns a Broadcaster at version v.
func NewBroadcaster(v uint64) *Broadcaster {
	return &Broadcaster{version: v, changed: make(chan struct{})}
}

// Publish records version v (ignored unless newer) and wakes every waiter.
func (b *Broadcaster) Publish(v uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v <= b.version {
		return
	}
	b.version = v
	close(b.changed)
	b.changed = make(chan struct{})
}

// Watch returns the current version and a channel closed on the next change.
func (b *Broadcaster) Watch() (uint64, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version, b.changed
}

// Version returns the current version.
func (b *Broadcaster) Version() uint64 {
	v, _ := b.Watch()
	return v
}

// WaitNewer blocks until the version is greater than after or ctx ends, and
// returns the version it saw.
func (b *Broadcaster) WaitNewer(ctx context.Context, after uint64) (uint64, error) {
	for {
		v, ch := b.Watch()
		if v > after {
			return v, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}
