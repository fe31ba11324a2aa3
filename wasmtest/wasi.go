package wasmtest

import (
	"github.com/tetratelabs/wazero/api"

	"crypto/rand"
	"fmt"
	"strings"
)

// WASI errno values used by proxy-wasm-cpp-host src/exports.cc.
const (
	wasiSuccess  = 0
	wasiEBADF    = 8
	wasiEFAULT   = 21
	wasiEINVAL   = 28
	wasiENOENT   = 44
	wasiENOSYS   = 52
	wasiENOTSUP  = 58
	randomGetMax = 64 * 1024
)

// wasiFunctions is FOR_ALL_WASI_FUNCTIONS of proxy-wasm-cpp-host
// include/proxy-wasm/exports.h, registered under both wasi_unstable and
// wasi_snapshot_preview1 and implemented as src/exports.cc does: stdout and
// stderr go to the logs (info / error), no files, no arguments, no
// environment.
func wasiFunctions() []hostFunc {
	return []hostFunc{
		{"fd_write", i32s(4), i32s(1), wasiFdWrite},
		{"fd_read", i32s(4), i32s(1), func(v *vm, s []uint64) { s[0] = wasiENOSYS }},
		{"fd_seek", []api.ValueType{i32, i64, i32, i32}, i32s(1), func(v *vm, s []uint64) {
			v.host.logs.add(LogTrace, "", "wasi_unstable fd_seek")
			s[0] = wasiSuccess
		}},
		{"fd_close", i32s(1), i32s(1), func(v *vm, s []uint64) {
			v.host.logs.add(LogTrace, "", "wasi_unstable fd_close")
			s[0] = wasiSuccess
		}},
		{"fd_fdstat_get", i32s(2), i32s(1), wasiFdstatGet},
		{"environ_get", i32s(2), i32s(1), func(v *vm, s []uint64) { s[0] = wasiSuccess }},
		{"environ_sizes_get", i32s(2), i32s(1), wasiZeroSizes},
		{"args_get", i32s(2), i32s(1), func(v *vm, s []uint64) { s[0] = wasiSuccess }},
		{"args_sizes_get", i32s(2), i32s(1), wasiZeroSizes},
		{"clock_time_get", []api.ValueType{i32, i64, i32}, i32s(1), wasiClockTimeGet},
		{"random_get", i32s(2), i32s(1), wasiRandomGet},
		{"proc_exit", i32s(1), nil, func(v *vm, s []uint64) {
			panic(fmt.Errorf("wasi proc_exit(%d) called: Envoy treats the VM as failed", uint32(s[0])))
		}},
		{"path_open", []api.ValueType{i32, i32, i32, i32, i32, i64, i64, i32, i32}, i32s(1), func(v *vm, s []uint64) { s[0] = wasiENOENT }},
		{"fd_prestat_get", i32s(2), i32s(1), func(v *vm, s []uint64) { s[0] = wasiEBADF }},
		{"fd_prestat_dir_name", i32s(3), i32s(1), func(v *vm, s []uint64) { s[0] = wasiENOSYS }},
	}
}

func wasiFdWrite(v *vm, s []uint64) {
	fd, iovs, n, nwritten := u32(s, 0), u32(s, 1), u32(s, 2), u32(s, 3)
	var level LogLevel
	switch fd {
	case 1:
		level = LogInfo
	case 2:
		level = LogError
	default:
		s[0] = wasiEBADF
		return
	}
	var b strings.Builder
	for i := uint32(0); i < n; i++ {
		iov, ok := v.read(iovs+i*8, 8)
		if !ok {
			s[0] = wasiEFAULT
			return
		}
		ptr, size := le32(iov), le32(iov[4:])
		if size == 0 {
			continue
		}
		data, ok := v.read(ptr, size)
		if !ok {
			s[0] = wasiEFAULT
			return
		}
		b.Write(data)
	}
	msg := b.String()
	written := len(msg)
	if written > 0 {
		line := strings.TrimSuffix(msg, "\n")
		v.lastOutput = line
		v.log(level, line)
	}
	if !v.writeU32(nwritten, uint32(written)) {
		s[0] = wasiEFAULT
		return
	}
	s[0] = wasiSuccess
}

func wasiFdstatGet(v *vm, s []uint64) {
	fd := u32(s, 0)
	if fd != 1 && fd != 2 {
		s[0] = wasiEBADF
		return
	}
	p := u32(s, 1)
	if !v.writeU64(p, 0) || !v.writeU64(p+8, 64) || !v.writeU64(p+16, 0) {
		s[0] = wasiEFAULT
		return
	}
	s[0] = wasiSuccess
}

func wasiZeroSizes(v *vm, s []uint64) {
	if !v.writeU32(u32(s, 0), 0) || !v.writeU32(u32(s, 1), 0) {
		s[0] = wasiEFAULT
		return
	}
	s[0] = wasiSuccess
}

func wasiClockTimeGet(v *vm, s []uint64) {
	switch u32(s, 0) {
	case 0, 1: // realtime, monotonic: both from the host clock
	default:
		s[0] = wasiENOTSUP
		return
	}
	if !v.writeU64(u32(s, 2), uint64(v.host.clock.Now().UnixNano())) {
		s[0] = wasiEFAULT
		return
	}
	s[0] = wasiSuccess
}

func wasiRandomGet(v *vm, s []uint64) {
	n := u32(s, 1)
	if n > randomGetMax {
		s[0] = wasiEINVAL
		return
	}
	if n == 0 {
		s[0] = wasiSuccess
		return
	}
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	if !v.mem.Write(u32(s, 0), buf) {
		s[0] = wasiEFAULT
		return
	}
	s[0] = wasiSuccess
}
