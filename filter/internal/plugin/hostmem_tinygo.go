//go:build tinygo.wasm && !custommalloc

package plugin

import _ "unsafe" // go:extern

// Envoy (proxy-wasm-cpp-host) gives the guest every value it returns —
// headers, properties, shared data — in a buffer it allocates by calling
// the module's exported `malloc`, and it never calls `free`: ownership
// passes to the guest. TinyGo's wasm `malloc` keeps every buffer it hands
// out in runtime.allocs until `free`, so a TinyGo filter that reads data
// from the host retains all of it forever (proxy-wasm-go-sdk issue #349:
// linear memory grows with every request, and the growing heap makes each
// GC slower). After each request callback and each tick the filter
// therefore drops the entries the host allocated since (between callbacks no
// host-written buffer is pending, so this is safe); whatever the filter still references stays
// alive through the GC as usual. Entries that existed when the plugin
// started (wasi-libc's own allocations, if any) are never touched.

// allocs is TinyGo's runtime.allocs (//go:extern binds the runtime's global;
// //go:linkname does not apply to variables in TinyGo).
//
//go:extern runtime.allocs
var allocs map[uintptr][]byte

var pinnedAllocs map[uintptr]struct{}

// pinStartupAllocs records the malloc'd buffers that exist at plugin start.
func pinStartupAllocs() {
	if pinnedAllocs != nil {
		return
	}
	pinnedAllocs = make(map[uintptr]struct{}, len(allocs))
	for k := range allocs {
		pinnedAllocs[k] = struct{}{}
	}
}

// releaseHostAllocs forgets the buffers the host allocated since startup.
// With no startup entries to keep (the usual case: TinyGo's wasi-libc
// allocates nothing before the plugin starts) the map is cleared in one
// pass over its buckets, without iterating and hashing every key — under
// wazero, ranging over the map with deletes cost ~0.6 µs per callback.
func releaseHostAllocs() {
	if len(allocs) <= len(pinnedAllocs) && pinnedAllocs != nil {
		return
	}
	if len(pinnedAllocs) == 0 {
		clear(allocs)
		return
	}
	for k := range allocs {
		if _, keep := pinnedAllocs[k]; !keep {
			delete(allocs, k)
		}
	}
}
