package jwt

import "unsafe"

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

// Hash is the cache's 64-bit hash of a token: FNV-1a's xor-multiply step
// over 8-byte words (then the tail bytes), so a ~600-byte JWT takes ~75
// steps instead of ~600 (under wazero the byte loop cost ~0.9 µs a
// request). It only indexes the cache: a hit also compares the whole token.
func Hash(token string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	p := unsafe.Pointer(unsafe.StringData(token))
	i := 0
	for ; i+8 <= len(token); i += 8 {
		h ^= word(p, i)
		h *= prime
		h ^= h >> 29 // fold high bits down so every input bit reaches the index
	}
	for ; i < len(token); i++ {
		h ^= uint64(token[i])
		h *= prime
	}
	return h
}

// word loads the 8 bytes at p+i (one unaligned load: wasm and the native
// test platforms allow it; byte order only changes hash values).
func word(p unsafe.Pointer, i int) uint64 { return *(*uint64)(unsafe.Add(p, i)) }

// Equal compares two strings 8 bytes at a time (TinyGo's string compare
// goes byte by byte, ~600 steps for a JWT). The certificate caches use it
// too (a header certificate is ~1.5 KB).
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	pa, pb := unsafe.Pointer(unsafe.StringData(a)), unsafe.Pointer(unsafe.StringData(b))
	i := 0
	for ; i+8 <= len(a); i += 8 {
		if word(pa, i) != word(pb, i) {
			return false
		}
	}
	for ; i < len(a); i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	if e.gen != gen || !Equal(e.token, token) {
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
