package plugin

import "strings"

// property is a host property path serialized once (segments joined by
// NUL, as proxy_get_property takes them): proxywasm.GetProperty serializes
// its []string path into a fresh buffer on every call, and the peer digest
// is read on every mTLS request.
type property struct {
	path       []string
	serialized []byte
}

func newProperty(path []string) property {
	return property{path: path, serialized: []byte(strings.Join(path, "\x00"))}
}

// get reads the property; ok is false when the host has no value.
func (p *property) get() ([]byte, bool) { return getProperty(p) }
