package wasmtest

import (
	"errors"
	"sync"
)

// ErrCasMismatch is returned by SharedData.Set for a stale CAS value.
var ErrCasMismatch = errors.New("wasmtest: shared data CAS mismatch")

// sharedStore is proxy-wasm-cpp-host's global SharedData and SharedQueue:
// one per process, keyed by vm_id.
type sharedStore struct {
	mu   sync.Mutex
	cas  uint32
	data map[string]map[string]sharedValue

	nextQueue   uint32
	queues      map[uint32]*sharedQueue
	queueTokens map[[2]string]uint32
}

type sharedValue struct {
	value []byte
	cas   uint32
}

type sharedQueue struct {
	vmID, name string
	items      [][]byte
	// the registering VM and root context get proxy_on_queue_ready.
	owner   *vm
	context uint32
}

func newSharedStore() *sharedStore {
	return &sharedStore{
		cas:         1,
		data:        map[string]map[string]sharedValue{},
		nextQueue:   1,
		queues:      map[uint32]*sharedQueue{},
		queueTokens: map[[2]string]uint32{},
	}
}

func (s *sharedStore) nextCas() uint32 {
	c := s.cas
	s.cas++
	if s.cas == 0 {
		s.cas++
	}
	return c
}

func (s *sharedStore) get(vmID, key string) ([]byte, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[vmID][key]
	return v.value, v.cas, ok
}

// getBytes is get with the key as raw bytes (a view of guest memory): the
// map lookup converts it without allocating. Stored values are never
// modified in place (set stores a fresh copy), so the returned slice stays
// valid after the lock is released.
func (s *sharedStore) getBytes(vmID string, key []byte) ([]byte, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[vmID][string(key)]
	return v.value, v.cas, ok
}

// set follows SharedData::set: cas 0 writes unconditionally, a non-zero cas
// must match the stored one when the key exists.
func (s *sharedStore) set(vmID, key string, value []byte, cas uint32) status {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.data[vmID]
	if m == nil {
		m = map[string]sharedValue{}
		s.data[vmID] = m
	}
	if old, ok := m[key]; ok && cas != 0 && cas != old.cas {
		return statusCasMismatch
	}
	m[key] = sharedValue{value: append([]byte(nil), value...), cas: s.nextCas()}
	return statusOK
}

func (s *sharedStore) registerQueue(vmID, name string, owner *vm, context uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{vmID, name}
	if tok, ok := s.queueTokens[k]; ok {
		q := s.queues[tok]
		q.owner, q.context = owner, context
		return tok
	}
	tok := s.nextQueue
	s.nextQueue++
	s.queueTokens[k] = tok
	s.queues[tok] = &sharedQueue{vmID: vmID, name: name, owner: owner, context: context}
	return tok
}

func (s *sharedStore) resolveQueue(vmID, name string) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueTokens[[2]string{vmID, name}]
}

func (s *sharedStore) dequeue(tok uint32) ([]byte, status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[tok]
	if q == nil {
		return nil, statusNotFound
	}
	if len(q.items) == 0 {
		return nil, statusEmpty
	}
	item := q.items[0]
	q.items = q.items[1:]
	return item, statusOK
}

func (s *sharedStore) enqueue(tok uint32, value []byte) status {
	s.mu.Lock()
	q := s.queues[tok]
	if q == nil {
		s.mu.Unlock()
		return statusNotFound
	}
	q.items = append(q.items, append([]byte(nil), value...))
	owner, ctxID := q.owner, q.context
	s.mu.Unlock()
	if owner != nil {
		owner.post(func() {
			if c := owner.contexts[ctxID]; c != nil {
				_, _ = owner.call(c, owner.onQueueReady, uint64(ctxID), uint64(tok))
			}
		})
	}
	return statusOK
}

// SharedData is the test's handle on the host's shared-data store (Envoy's
// proxy_get_shared_data / proxy_set_shared_data), for one vm_id.
type SharedData struct {
	store        *sharedStore
	host         *Host
	vmID         string
	defaultScope bool
}

func (d *SharedData) scope() string {
	if d.defaultScope {
		return d.host.defaultVMID()
	}
	return d.vmID
}

// Get returns the value and CAS stored under key.
func (d *SharedData) Get(key string) (value []byte, cas uint32, ok bool) {
	v, c, ok := d.store.get(d.scope(), key)
	return append([]byte(nil), v...), c, ok
}

// Set stores v under key with Envoy's semantics: cas 0 writes
// unconditionally; otherwise cas must match the current CAS of an existing
// key (ErrCasMismatch).
func (d *SharedData) Set(key string, v []byte, cas uint32) error {
	if d.store.set(d.scope(), key, v, cas) == statusCasMismatch {
		return ErrCasMismatch
	}
	return nil
}

// Enqueue pushes value onto the shared queue name (registered by a guest
// under this vm_id) and notifies the registering root context, as
// proxy_enqueue_shared_queue does. ok is false if no guest registered it.
func (d *SharedData) Enqueue(name string, value []byte) bool {
	tok := d.store.resolveQueue(d.scope(), name)
	if tok == 0 {
		return false
	}
	return d.store.enqueue(tok, value) == statusOK
}

// Dequeue pops the oldest item of the shared queue name.
func (d *SharedData) Dequeue(name string) ([]byte, bool) {
	tok := d.store.resolveQueue(d.scope(), name)
	if tok == 0 {
		return nil, false
	}
	v, st := d.store.dequeue(tok)
	return v, st == statusOK
}
