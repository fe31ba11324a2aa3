package wasmtest

import (
	"encoding/binary"
	"strings"
)

// Header is one header entry: name and value.
type Header = [2]string

// HeaderValue returns the first value of name (case-insensitive) in h.
func HeaderValue(h []Header, name string) (string, bool) {
	for _, kv := range h {
		if strings.EqualFold(kv[0], name) {
			return kv[1], true
		}
	}
	return "", false
}

// headerMap is an ordered multi-map with lowercase keys, like Envoy's
// HeaderMapImpl.
type headerMap []Header

// lowerASCII lowercases s without allocating when it is already lowercase.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// newHeaderMap copies h with names lowercased, as Envoy's HTTP/1 codec does.
func newHeaderMap(h []Header) headerMap {
	m := make(headerMap, len(h))
	for i, kv := range h {
		m[i] = Header{lowerASCII(kv[0]), kv[1]}
	}
	return m
}

func (m headerMap) get(key string) (string, bool) {
	key = lowerASCII(key)
	for _, kv := range m {
		if kv[0] == key {
			return kv[1], true
		}
	}
	return "", false
}

func (m *headerMap) add(key, value string) {
	*m = append(*m, Header{lowerASCII(key), value})
}

func (m *headerMap) remove(key string) { m.removeLower(lowerASCII(key)) }

// replace is Envoy's setCopy: every existing entry of key is removed, then
// the new value is appended.
func (m *headerMap) replace(key, value string) {
	key = lowerASCII(key)
	m.removeLower(key)
	*m = append(*m, Header{key, value})
}

// removeLower removes every entry of key (already lowercase), in place.
func (m *headerMap) removeLower(key string) {
	out := (*m)[:0]
	for _, kv := range *m {
		if kv[0] != key {
			out = append(out, kv)
		}
	}
	clear((*m)[len(out):]) // drop references to removed strings
	*m = out
}

// indexBytes returns the index of the first entry whose name equals key
// (raw bytes from guest memory, compared ASCII case-insensitively), or -1.
// Lookups by a guest-supplied name need no string allocation.
func (m headerMap) indexBytes(key []byte) int {
	for i, kv := range m {
		if equalFoldLower(key, kv[0]) {
			return i
		}
	}
	return -1
}

// equalFoldLower reports whether b, lowercased (ASCII), equals lower.
func equalFoldLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// byteSize is Envoy's HeaderMap::byteSize: the sum of key and value lengths.
func (m headerMap) byteSize() uint32 {
	n := 0
	for _, kv := range m {
		n += len(kv[0]) + len(kv[1])
	}
	return uint32(n)
}

func (m headerMap) clone() []Header {
	if m == nil {
		return nil
	}
	out := make([]Header, len(m))
	copy(out, m)
	return out
}

// pairsSize is the size of m in proxy-wasm's pairs serialization.
func pairsSize(m []Header) int {
	n := 4
	for _, kv := range m {
		n += 8 + len(kv[0]) + 1 + len(kv[1]) + 1
	}
	return n
}

// marshalPairs encodes m as proxy-wasm pairs: count, (key len, value len)*,
// then each key and value NUL-terminated (proxy-wasm-cpp-host exports.h).
func marshalPairs(dst []byte, m []Header) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m)))
	for _, kv := range m {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(kv[0])))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(kv[1])))
	}
	for _, kv := range m {
		dst = append(dst, kv[0]...)
		dst = append(dst, 0)
		dst = append(dst, kv[1]...)
		dst = append(dst, 0)
	}
	return dst
}

// unmarshalPairs decodes proxy-wasm pairs; malformed input yields no pairs,
// as proxy-wasm-cpp-host's toPairs does.
func unmarshalPairs(b []byte) []Header {
	if len(b) < 4 {
		return nil
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(4)+uint64(n)*8 > uint64(len(b)) {
		return nil
	}
	sizes := b[4 : 4+int(n)*8]
	data := b[4+int(n)*8:]
	out := make([]Header, n)
	off := 0
	for i := 0; i < int(n); i++ {
		kl := int(binary.LittleEndian.Uint32(sizes[i*8:]))
		vl := int(binary.LittleEndian.Uint32(sizes[i*8+4:]))
		if off+kl+1+vl+1 > len(data) {
			return nil
		}
		k := string(data[off : off+kl])
		off += kl + 1
		v := string(data[off : off+vl])
		off += vl + 1
		out[i] = Header{k, v}
	}
	return out
}
