package wasmtest

// Shared data and shared queue host functions (proxy-wasm-cpp-host
// src/shared_data.cc and src/shared_queue.cc semantics, kept in sharedStore).

func hostGetSharedData(v *vm, s []uint64) {
	key, ok := v.read(u32(s, 0), u32(s, 1))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	val, cas, found := v.host.shared.getBytes(v.group.vmID, key)
	if !found {
		ret(s, statusNotFound)
		return
	}
	if st := v.copyOut(val, u32(s, 2), u32(s, 3)); st != statusOK {
		ret(s, st)
		return
	}
	if !v.writeU32(u32(s, 4), cas) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

func hostSetSharedData(v *vm, s []uint64) {
	key, ok1 := v.readString(u32(s, 0), u32(s, 1))
	val, ok2 := v.read(u32(s, 2), u32(s, 3))
	if !ok1 || !ok2 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.shared.set(v.group.vmID, key, val, u32(s, 4)))
}

func rootID(c *hctx) uint32 {
	if c.root != nil {
		return c.root.id
	}
	return c.id
}

func hostRegisterQueue(v *vm, s []uint64) {
	name, ok := v.readString(u32(s, 0), u32(s, 1))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	tok := v.host.shared.registerQueue(v.group.vmID, name, v, rootID(v.ctxForHost()))
	if !v.writeU32(u32(s, 2), tok) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

func hostResolveQueue(v *vm, s []uint64) {
	vmID, ok1 := v.readString(u32(s, 0), u32(s, 1))
	name, ok2 := v.readString(u32(s, 2), u32(s, 3))
	if !ok1 || !ok2 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	if vmID == "" {
		vmID = v.group.vmID
	}
	tok := v.host.shared.resolveQueue(vmID, name)
	if tok == 0 {
		ret(s, statusNotFound)
		return
	}
	if !v.writeU32(u32(s, 4), tok) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

func hostDequeue(v *vm, s []uint64) {
	val, st := v.host.shared.dequeue(u32(s, 0))
	if st != statusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOut(val, u32(s, 1), u32(s, 2)))
}

func hostEnqueue(v *vm, s []uint64) {
	val, ok := v.read(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, v.host.shared.enqueue(u32(s, 0), val))
}
