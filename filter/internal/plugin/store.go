package plugin

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/certgate/certgate/shared"
)

// store reads records of one generation from shared data: a lookup is one
// proxy_get_shared_data call and a bounds-checked decode of a small
// versioned value — or a hit in the VM-local cache of records already read
// at the same generation. The generation pointer itself is read on every
// request, so a published update is seen by the very next request (the
// cache is keyed by generation), while hot APIs, tiers and certificates
// cost no host call (each host read makes the host call back into the
// guest's malloc, the dominant cost of a read).
type store struct {
	gen uint64
	// stamp identifies this publication of the generation pointer: the
	// generation and the CAS of cg/current (which changes on every write of
	// the pointer). The VM-local caches are keyed by it rather than by the
	// generation alone, so they cannot outlive a rewrite that reuses a
	// generation number (a repaired or re-seeded store).
	stamp uint64
	cache *recordCache
	// view holds the decoded records of publication view.gen (a stamp; view.go).
	view view
}

// load reads the active generation; false when no snapshot was published
// (or the pointer is unreadable).
func (s *store) load() bool {
	v, cas, err := proxywasm.GetSharedData(shared.KeyCurrent)
	if err != nil {
		return false
	}
	g, err := shared.DecodeGeneration(v)
	if err != nil || g == 0 {
		return false
	}
	s.gen = g
	s.stamp = uint64(cas)<<32 | g&0xffffffff
	if s.view.gen != s.stamp || s.view.apis == nil {
		s.view.reset(s.stamp)
	}
	return true
}

// Record implements route.Lookup: the record of key visible at the generation.
func (s *store) Record(key string) ([]byte, bool) {
	if rec, ok, hit := s.cache.get(key, s.stamp); hit {
		return rec, ok
	}
	var rec []byte
	ok := false
	if v, _, err := proxywasm.GetSharedData(key); err == nil {
		rec, ok = shared.Visible(v, s.gen)
	}
	s.cache.put(key, s.stamp, rec, ok)
	return rec, ok
}

// sharedKV adapts proxy-wasm shared data to shared.KV for the throttle counters.
type sharedKV struct{}

func (sharedKV) Get(key string) ([]byte, uint32, bool) {
	v, cas, err := proxywasm.GetSharedData(key)
	if err != nil {
		return nil, 0, false
	}
	return v, cas, true
}

func (sharedKV) Set(key string, v []byte, cas uint32) error {
	err := proxywasm.SetSharedData(key, v, cas)
	if err == types.ErrorStatusCasMismatch {
		return shared.ErrCasMismatch
	}
	return err
}

func nowNanos() int64 { return time.Now().UnixNano() }
