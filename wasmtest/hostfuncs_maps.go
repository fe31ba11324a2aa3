package wasmtest

// headerMapFor returns the header map of that type visible from context c,
// or nil when it is not available there (Envoy answers BadArgument).
func (v *vm) headerMapFor(c *hctx, typ uint32) *headerMap {
	switch typ {
	case mapRequestHeaders, mapRequestTrailers, mapResponseHeaders, mapResponseTrailers:
		st := c.stream
		if st == nil {
			return nil
		}
		var m *headerMap
		switch typ {
		case mapRequestHeaders:
			m = &st.reqHeaders
		case mapRequestTrailers:
			m = &st.reqTrailers
		case mapResponseHeaders:
			m = &st.respHeaders
		default:
			m = &st.respTrailers
		}
		if *m == nil {
			return nil
		}
		return m
	case mapHTTPCallHeaders, mapHTTPCallTrailers:
		root := c.root
		if root == nil || root.callout == nil {
			return nil
		}
		if typ == mapHTTPCallHeaders {
			return &root.callout.headers
		}
		return &root.callout.trailers
	}
	return nil
}

func (v *vm) mapArg(s []uint64) (*headerMap, status) {
	typ := u32(s, 0)
	if typ > mapMax {
		return nil, statusBadArgument
	}
	m := v.headerMapFor(v.ctxForHost(), typ)
	if m == nil {
		return nil, statusBadArgument
	}
	return m, statusOK
}

func hostGetHeaderMapValue(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	key, ok := v.read(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	i := m.indexBytes(key)
	if i < 0 {
		ret(s, statusNotFound)
		return
	}
	ret(s, v.copyOutString((*m)[i][1], u32(s, 3), u32(s, 4)))
}

func hostAddHeaderMapValue(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	key, ok1 := v.readString(u32(s, 1), u32(s, 2))
	val, ok2 := v.readString(u32(s, 3), u32(s, 4))
	if !ok1 || !ok2 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	m.add(key, val)
	ret(s, statusOK)
}

func hostReplaceHeaderMapValue(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	key, ok1 := v.read(u32(s, 1), u32(s, 2))
	val, ok2 := v.readString(u32(s, 3), u32(s, 4))
	if !ok1 || !ok2 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	// Reuse the stored (lowercase) name when the header exists: no allocation for it.
	if i := m.indexBytes(key); i >= 0 {
		m.replace((*m)[i][0], val)
	} else {
		m.replace(string(key), val)
	}
	ret(s, statusOK)
}

func hostRemoveHeaderMapValue(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	key, ok := v.read(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	if i := m.indexBytes(key); i >= 0 { // absent: nothing to do, no allocation
		m.removeLower((*m)[i][0])
	}
	ret(s, statusOK)
}

func hostGetHeaderMapPairs(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOutPairs(*m, u32(s, 1), u32(s, 2)))
}

func hostSetHeaderMapPairs(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	data, ok := v.read(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	pairs := unmarshalPairs(data)
	nm := make(headerMap, 0, len(pairs))
	for _, kv := range pairs {
		nm.add(kv[0], kv[1])
	}
	*m = nm
	ret(s, statusOK)
}

func hostGetHeaderMapSize(v *vm, s []uint64) {
	m, st := v.mapArg(s)
	if st != statusOK {
		ret(s, st)
		return
	}
	if !v.writeU32(u32(s, 1), m.byteSize()) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

// --- buffers ---

var emptyBuffer []byte

// bufferFor returns the buffer of that type visible from context c; ok is
// false when Envoy has none (NotFound). mutable is nil for read-only buffers.
func (v *vm) bufferFor(c *hctx, typ uint32) (data []byte, mutable *[]byte, ok bool) {
	switch typ {
	case bufRequestBody:
		if c.stream != nil {
			return c.stream.reqBody, &c.stream.reqBody, true
		}
		return emptyBuffer, nil, true
	case bufResponseBody:
		if c.stream != nil {
			return c.stream.respBody, &c.stream.respBody, true
		}
		return emptyBuffer, nil, true
	case bufDownstreamData, bufUpstreamData, bufGrpcReceive, bufCallData:
		return emptyBuffer, nil, true
	case bufHTTPCallBody:
		if c.root != nil && c.root.callout != nil {
			return c.root.callout.body, nil, true
		}
		return nil, nil, false
	case bufVMConfiguration:
		return v.group.vmConfig, nil, true
	case bufPluginConfig:
		if c.hasConfig {
			return c.pluginConfig, nil, true
		}
		return nil, nil, false
	}
	return nil, nil, false
}

func hostGetBufferStatus(v *vm, s []uint64) {
	typ := u32(s, 0)
	if typ > bufMax {
		ret(s, statusBadArgument)
		return
	}
	data, _, ok := v.bufferFor(v.ctxForHost(), typ)
	if !ok {
		ret(s, statusNotFound)
		return
	}
	if !v.writeU32(u32(s, 1), uint32(len(data))) || !v.writeU32(u32(s, 2), 0) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

func hostGetBufferBytes(v *vm, s []uint64) {
	typ := u32(s, 0)
	if typ > bufMax {
		ret(s, statusBadArgument)
		return
	}
	data, _, ok := v.bufferFor(v.ctxForHost(), typ)
	if !ok {
		ret(s, statusNotFound)
		return
	}
	start, length := uint64(u32(s, 1)), uint64(u32(s, 2))
	if start > uint64(len(data)) {
		ret(s, statusBadArgument)
		return
	}
	if start+length > uint64(len(data)) {
		length = uint64(len(data)) - start
	}
	if length == 0 {
		ret(s, statusOK)
		return
	}
	ret(s, v.copyOut(data[start:start+length], u32(s, 3), u32(s, 4)))
}

// hostSetBufferBytes follows Envoy's Buffer::copyFrom: (0, 0) prepends,
// (0, >= size) replaces, start >= size appends, anything else is BadArgument.
func hostSetBufferBytes(v *vm, s []uint64) {
	typ := u32(s, 0)
	if typ > bufMax {
		ret(s, statusBadArgument)
		return
	}
	_, mutable, ok := v.bufferFor(v.ctxForHost(), typ)
	if !ok {
		ret(s, statusNotFound)
		return
	}
	data, okm := v.read(u32(s, 3), u32(s, 4))
	if !okm {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	if mutable == nil {
		ret(s, statusBadArgument)
		return
	}
	start, length := int(u32(s, 1)), int(u32(s, 2))
	cur := *mutable
	switch {
	case start == 0 && length == 0:
		*mutable = append(append([]byte(nil), data...), cur...)
	case start == 0 && length >= len(cur):
		*mutable = append([]byte(nil), data...)
	case start >= len(cur):
		*mutable = append(cur, data...)
	default:
		ret(s, statusBadArgument)
		return
	}
	ret(s, statusOK)
}
