package plugin

// fpCache remembers certificates whose CA signature verified, per
// generation: a bounded FIFO so memory stays flat.
type fpCache struct {
	index map[[32]byte]int32
	ring  []fpEntry
	next  int
}

type fpEntry struct {
	used bool
	fp   [32]byte
	gen  uint64
}

func newFPCache(size int) *fpCache {
	return &fpCache{index: make(map[[32]byte]int32, size), ring: make([]fpEntry, size)}
}

func (c *fpCache) has(fp [32]byte, gen uint64) bool {
	i, ok := c.index[fp]
	return ok && int(i) < len(c.ring) && c.ring[i].gen == gen
}

func (c *fpCache) put(fp [32]byte, gen uint64) {
	if len(c.ring) == 0 {
		return
	}
	if i, ok := c.index[fp]; ok && int(i) < len(c.ring) {
		c.ring[i].gen = gen
		return
	}
	e := &c.ring[c.next]
	if e.used {
		delete(c.index, e.fp)
	}
	*e = fpEntry{used: true, fp: fp, gen: gen}
	c.index[fp] = int32(c.next)
	c.next = (c.next + 1) % len(c.ring)
}
