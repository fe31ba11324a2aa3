//go:build tinygo.wasm && custommalloc

package plugin

import "unsafe"

// Built with -tags=custommalloc (the Makefile does), TinyGo leaves malloc,
// free, calloc and realloc to the program, and these replace its wasm
// versions (runtime/arch_tinygowasm_malloc.go). The semantics are the same
// as hostmem_tinygo.go's: Envoy (proxy-wasm-cpp-host) allocates every value
// it returns through the exported malloc and never frees it, so each buffer
// is pinned until the end of the callback (a callback never leaves a
// host-written buffer pending), then released to the GC, which keeps alive
// whatever the filter still references. The difference is the bookkeeping:
// TinyGo records every buffer in a map (a hash insert per host read and a
// map clear per callback); here a buffer is appended to a slice and a
// release truncates it. Buffers that exist when the plugin starts
// (wasi-libc's own, if any) stay pinned until freed.

var (
	// hostBufs pins the buffers handed out by malloc; the first startupBufs are kept across releases.
	hostBufs    [][]byte
	startupBufs = -1
)

//export malloc
func libcMalloc(size uintptr) unsafe.Pointer {
	if size == 0 {
		return nil
	}
	buf := make([]byte, size)
	hostBufs = append(hostBufs, buf)
	return unsafe.Pointer(&buf[0])
}

//export calloc
func libcCalloc(nmemb, size uintptr) unsafe.Pointer {
	if nmemb != 0 && size > ^uintptr(0)/nmemb {
		return nil
	}
	return libcMalloc(nmemb * size) // make zeroes the buffer
}

// findHostBuf returns the index of the buffer starting at ptr, or -1.
func findHostBuf(ptr unsafe.Pointer) int {
	for i := len(hostBufs) - 1; i >= 0; i-- {
		if unsafe.Pointer(&hostBufs[i][0]) == ptr {
			return i
		}
	}
	return -1
}

// dropHostBuf unpins buffer i, keeping the order of the rest.
func dropHostBuf(i int) {
	copy(hostBufs[i:], hostBufs[i+1:])
	hostBufs[len(hostBufs)-1] = nil
	hostBufs = hostBufs[:len(hostBufs)-1]
	if i < startupBufs {
		startupBufs--
	}
}

//export free
func libcFree(ptr unsafe.Pointer) {
	if ptr == nil {
		return
	}
	// A pointer not pinned (any more) is a buffer released after its
	// callback: the GC owns it, there is nothing to do.
	if i := findHostBuf(ptr); i >= 0 {
		dropHostBuf(i)
	}
}

//export realloc
func libcRealloc(ptr unsafe.Pointer, size uintptr) unsafe.Pointer {
	if ptr == nil {
		return libcMalloc(size)
	}
	if size == 0 {
		libcFree(ptr)
		return nil
	}
	i := findHostBuf(ptr)
	if i < 0 {
		return nil // not a live malloc'd buffer: refuse rather than guess its size
	}
	old := hostBufs[i]
	buf := make([]byte, size)
	copy(buf, old)
	hostBufs[i] = buf
	return unsafe.Pointer(&buf[0])
}

// pinStartupAllocs records the buffers that exist at plugin start (kept).
func pinStartupAllocs() {
	if startupBufs < 0 {
		startupBufs = len(hostBufs)
	}
}

// releaseHostAllocs unpins the buffers allocated since startup.
func releaseHostAllocs() {
	keep := startupBufs
	if keep < 0 {
		return // the plugin has not started
	}
	if len(hostBufs) <= keep {
		return
	}
	clear(hostBufs[keep:])
	hostBufs = hostBufs[:keep]
}
