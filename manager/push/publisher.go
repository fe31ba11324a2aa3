package push

import (
	"context"
	"log/slog"
	"sort"
	"sync"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/shared"
)

// maxLogWrites bounds the writes kept in one environment's delta history;
// a gateway further behind than that gets a full snapshot.
const maxLogWrites = 200_000

// change is the writes that one config version made to an environment.
type change struct {
	version uint64
	writes  []shared.Write
}

// envState is one environment's published snapshot and its recent history.
type envState struct {
	entries map[string][]byte // current records by shared-data key
	log     []change          // ascending versions, only versions that changed something
	logSize int               // writes in log
	since   uint64            // log covers every change after this version
	deleted map[string]bool   // keys deleted since the publisher started (tombstones for full snapshots)
}

// Publisher keeps every environment's filter snapshot in step with the
// store and answers "what changed since version N" for the long-poll.
// A single goroutine rebuilds after each committed change; readers never
// block it for longer than a map read.
type Publisher struct {
	store domain.Store
	log   *slog.Logger

	mu      sync.RWMutex
	version uint64 // config version the snapshots reflect
	state   domain.ConfigState
	envs    map[string]*envState
	bc      *domain.Broadcaster // fires after each rebuild
	done    chan struct{}       // closed when Run returns
	once    sync.Once
}

// NewPublisher builds the snapshots at the store's current version.
func NewPublisher(ctx context.Context, store domain.Store, log *slog.Logger) (*Publisher, error) {
	p := &Publisher{store: store, log: log, envs: map[string]*envState{}, bc: domain.NewBroadcaster(0), done: make(chan struct{})}
	if err := p.rebuild(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Run rebuilds after every committed change until ctx ends; then Done is closed.
func (p *Publisher) Run(ctx context.Context) {
	defer p.once.Do(func() { close(p.done) })
	for {
		v, ch := p.store.Watch()
		if v > p.Version() {
			if err := p.rebuild(ctx); err != nil {
				p.log.Error("push: rebuilding snapshots failed; gateways keep the previous version", "err", err)
			}
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// Done is closed when Run has returned (the manager is shutting down):
// held long-polls answer at once.
func (p *Publisher) Done() <-chan struct{} { return p.done }

// Version returns the config version the snapshots reflect.
func (p *Publisher) Version() uint64 { return p.bc.Version() }

// Watch returns the published version and a channel closed at the next one.
func (p *Publisher) Watch() (uint64, <-chan struct{}) { return p.bc.Watch() }

// State returns the committed state the snapshots were built from, and the
// environments that have one.
func (p *Publisher) State() (domain.ConfigState, []string) {
	envs := p.Environments()
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.state, envs
}

// Environments lists the environments with a snapshot.
func (p *Publisher) Environments() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]string, 0, len(p.envs))
	for e := range p.envs {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func (p *Publisher) rebuild(ctx context.Context) error {
	state, err := p.store.ReadConfig(ctx)
	if err != nil {
		return err
	}
	envNames := map[string]bool{DefaultEnvironment: true}
	for _, a := range state.APIs {
		for _, e := range APIEnvironments(a) {
			envNames[e] = true
		}
	}
	p.mu.RLock()
	for e := range p.envs {
		envNames[e] = true // keep serving (possibly empty) environments gateways know
	}
	p.mu.RUnlock()

	next := make(map[string]map[string][]byte, len(envNames))
	for env := range envNames {
		snap, err := Snapshot(state, env)
		if err != nil {
			return err
		}
		next[env] = snap.Entries()
	}

	p.mu.Lock()
	for env, entries := range next {
		st := p.envs[env]
		created := st == nil
		if created {
			// History starts now: a gateway of env below this version gets a full snapshot.
			st = &envState{deleted: map[string]bool{}, since: state.Version}
			p.envs[env] = st
		}
		writes := shared.Diff(st.entries, entries)
		for _, w := range writes {
			if w.Delete {
				st.deleted[w.Key] = true
			} else {
				delete(st.deleted, w.Key)
			}
		}
		st.entries = entries
		if len(writes) > 0 && !created {
			st.log = append(st.log, change{version: state.Version, writes: writes})
			st.logSize += len(writes)
			for st.logSize > maxLogWrites && len(st.log) > 0 {
				st.since = st.log[0].version
				st.logSize -= len(st.log[0].writes)
				st.log = st.log[1:]
			}
		}
	}
	p.version = state.Version
	p.state = state
	p.mu.Unlock()
	p.bc.Publish(state.Version)
	return nil
}

// Delta returns what a gateway of env at version since needs to reach the
// published version; ok is false when it is already there. A gateway at 0,
// ahead of the manager (a restored manager), or older than the history
// gets a full snapshot.
func (p *Publisher) Delta(env string, since uint64) (d shared.Delta, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.envs[env]
	d = shared.Delta{Version: p.version, Since: since}
	if st == nil {
		// Unknown environment: nothing is deployed there; an empty full snapshot
		// lets the gateway mark itself loaded (and fail closed on every API).
		if since == p.version {
			return d, false
		}
		d.Full = true
		return d, true
	}
	switch {
	case since == p.version:
		return d, false
	case since == 0 || since > p.version || since < st.since:
		d.Full = true
		d.Writes = fullWrites(st)
		return d, true
	}
	latest := map[string]shared.Write{}
	for i := len(st.log) - 1; i >= 0 && st.log[i].version > since; i-- {
		for _, w := range st.log[i].writes {
			if _, seen := latest[w.Key]; !seen {
				latest[w.Key] = w
			}
		}
	}
	d.Writes = make([]shared.Write, 0, len(latest))
	for _, w := range latest {
		d.Writes = append(d.Writes, w)
	}
	sort.Slice(d.Writes, func(i, j int) bool { return d.Writes[i].Key < d.Writes[j].Key })
	return d, true
}

func fullWrites(st *envState) []shared.Write {
	out := make([]shared.Write, 0, len(st.entries)+len(st.deleted))
	for k, v := range st.entries {
		out = append(out, shared.Write{Key: k, Record: v})
	}
	for k := range st.deleted {
		out = append(out, shared.Write{Key: k, Delete: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
