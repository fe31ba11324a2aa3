package jwt

// Cache is a bounded cache of verified tokens: a repeated token costs a
// hash and a string compare instead of a signature check. It is keyed by
// a 64-bit FNV-1a hash of the token, and a hit also compares the whole
// token, so a hash collision can never validate a different token.
// Entries remember the snapshot generation they were verified under and
// miss once it changes (issuer keys may have been rotated or removed).
// Eviction is FIFO over a fixed ring, so memory stays flat.
type Cache struct {
	index map[uint64]int32
	ring  []cacheEntry
	next  int
}

type cacheEntry struct {
	used   bool
	hash   uint64
	gen    uint64
	token  string
	claims Claims
}

// NewCache returns a cache holding at most size tokens (size ≤ 0 disables it).
func NewCache(size int) *Cache {
	if size <= 0 {
		return &Cache{}
	}
	return &Cache{index: make(map[uint64]int32, size), ring: make([]cacheEntry, size)}
}

// Hash is the cache's FNV-1a 64 of a token.
func Hash(token string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(token); i++ {
		h ^= uint64(token[i])
		h *= 1099511628211
	}
	return h
}

// Get returns the claims of token if it was verified under generation gen.
func (c *Cache) Get(token string, gen uint64) (*Claims, bool) {
	if len(c.ring) == 0 {
		return nil, false
	}
	i, ok := c.index[Hash(token)]
	if !ok || int(i) >= len(c.ring) {
		return nil, false
	}
	e := &c.ring[i]
	if e.gen != gen || e.token != token {
		return nil, false
	}
	return &e.claims, true
}

// Put records a verified token.
func (c *Cache) Put(token string, gen uint64, claims Claims) {
	if len(c.ring) == 0 {
		return
	}
	h := Hash(token)
	if i, ok := c.index[h]; ok && int(i) < len(c.ring) { // refresh in place
		c.ring[i].gen, c.ring[i].token, c.ring[i].claims = gen, token, claims
		return
	}
	e := &c.ring[c.next]
	if e.used {
		delete(c.index, e.hash)
	}
	*e = cacheEntry{used: true, hash: h, gen: gen, token: token, claims: claims}
	c.index[h] = int32(c.next)
	c.next = (c.next + 1) % len(c.ring)
}

// Len returns the number of cached tokens.
func (c *Cache) Len() int { return len(c.index) }
