package plugin

// recordCache remembers shared-data records (and their absence) per
// generation: a bounded FIFO ring, so memory stays flat whatever the key
// space (random paths, 100k certificates). A nil *recordCache never hits.
type recordCache struct {
	index map[string]int32
	ring  []recordEntry
	next  int
}

type recordEntry struct {
	used bool
	ok   bool
	key  string
	gen  uint64
	rec  []byte
}

func newRecordCache(size int) *recordCache {
	if size <= 0 {
		return nil
	}
	return &recordCache{index: make(map[string]int32, size), ring: make([]recordEntry, size)}
}

// get returns the cached record of key at gen; hit is false when unknown.
func (c *recordCache) get(key string, gen uint64) (rec []byte, ok, hit bool) {
	if c == nil {
		return nil, false, false
	}
	i, found := c.index[key]
	if !found || int(i) >= len(c.ring) || c.ring[i].gen != gen {
		return nil, false, false
	}
	e := &c.ring[i]
	return e.rec, e.ok, true
}

// put records what key holds at gen.
func (c *recordCache) put(key string, gen uint64, rec []byte, ok bool) {
	if c == nil {
		return
	}
	if i, found := c.index[key]; found && int(i) < len(c.ring) {
		e := &c.ring[i]
		e.gen, e.rec, e.ok = gen, rec, ok
		return
	}
	e := &c.ring[c.next]
	if e.used {
		delete(c.index, e.key)
	}
	*e = recordEntry{used: true, ok: ok, key: key, gen: gen, rec: rec}
	c.index[key] = int32(c.next)
	c.next = (c.next + 1) % len(c.ring)
}

// recordCacheSize bounds the records a VM keeps (about 100 bytes each).
const recordCacheSize = 4096
