package wasmtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// ErrVMFailed is wrapped by every error returned after a VM has trapped or
// otherwise failed; Envoy keeps such a VM out of service too.
var ErrVMFailed = errors.New("wasmtest: VM failed")

// vmCtxKey carries the *vm in the context passed to guest calls so host
// functions find their VM.
type vmCtxKey struct{}

// hctx is one proxy-wasm context inside a VM (Envoy's ContextBase).
type hctx struct {
	id     uint32
	root   *hctx // the root context (itself for roots, nil for the VM context)
	plugin *Plugin
	stream *Stream // nil for root and VM contexts
	// pluginConfig is set while the plugin configuration buffer is readable
	// (Envoy's temp_plugin_: on_context_create of a root and on_configure).
	pluginConfig []byte
	hasConfig    bool
	// callout is the HTTP call response being delivered to this root context.
	callout *httpResult
}

// vm is one instance of a module: Envoy's per-worker WasmBase.
type vm struct {
	host  *Host
	group *vmGroup
	index int

	mu  sync.Mutex // one thread in the VM at a time
	mod api.Module
	mem api.Memory
	ctx context.Context

	malloc                                                           api.Function
	onContextCreate, onVMStart, onConfigure, onDone, onLog, onDelete api.Function
	onRequestHeaders, onRequestBody, onRequestTrailers               api.Function
	onResponseHeaders, onResponseBody, onResponseTrailers            api.Function
	onTick, onHTTPCallResponse, onQueueReady                         api.Function

	vmContext     *hctx
	contexts      map[uint32]*hctx
	nextContextID uint32
	current       *hctx
	effective     *hctx
	starting      bool
	failed        error
	depth         int
	after         []func()

	stack       []uint64
	mallocStack []uint64

	ticks map[uint32]*tickState // root context id -> tick schedule

	metricIDs  map[uint32]*metric
	nextMetric [3]uint32

	nextHTTPToken uint32
	httpCalls     map[uint32]*hctx // token -> root context waiting for the answer

	pendMu  sync.Mutex
	pending []func() // asynchronous deliveries, run on the VM's thread

	lastOutput string // last stdout/stderr line of the current top-level call (TinyGo prints panics there)
}

type tickState struct {
	period time.Duration
	next   time.Time
}

func (v *vm) name() string {
	return fmt.Sprintf("vm %q worker %d", v.group.vmID, v.index)
}

// fail marks the VM dead; every later call returns an error wrapping ErrVMFailed.
func (v *vm) fail(err error) error {
	if v.failed == nil {
		msg := err.Error()
		if v.lastOutput != "" {
			msg = "guest printed " + strconv.Quote(v.lastOutput) + ": " + msg
		}
		v.failed = fmt.Errorf("%w: %s: %s", ErrVMFailed, v.name(), msg)
	}
	return v.failed
}

// call invokes a guest export on behalf of context c. Top-level calls run the
// after-call actions Envoy defers (continue_stream, local replies) once the
// guest returns. A trap marks the VM failed.
func (v *vm) call(c *hctx, fn api.Function, args ...uint64) (uint64, error) {
	if v.failed != nil {
		return 0, v.failed
	}
	if fn == nil {
		return 0, nil
	}
	if v.depth == 0 {
		v.lastOutput = ""
	}
	prevCur, prevEff := v.current, v.effective
	v.current, v.effective = c, nil
	v.depth++
	stack := v.stack
	if v.depth > 1 {
		stack = make([]uint64, 8)
	}
	copy(stack, args)
	err := fn.CallWithStack(v.ctx, stack)
	v.depth--
	v.current, v.effective = prevCur, prevEff
	if err != nil {
		return 0, v.fail(fmt.Errorf("guest trapped in %s: %w", funcName(fn), err))
	}
	var ret uint64
	if len(fn.Definition().ResultTypes()) > 0 {
		ret = stack[0]
	}
	if v.depth == 0 {
		if err := v.runAfter(); err != nil {
			return ret, err
		}
	}
	return ret, nil
}

func funcName(fn api.Function) string {
	if names := fn.Definition().ExportNames(); len(names) > 0 {
		return names[0]
	}
	return fn.Definition().DebugName()
}

// runAfter runs deferred after-VM-call actions (Envoy's addAfterVmCallAction).
func (v *vm) runAfter() error {
	for len(v.after) > 0 {
		f := v.after[0]
		v.after = v.after[1:]
		f()
		if v.failed != nil {
			v.after = nil
			return v.failed
		}
	}
	v.after = v.after[:0]
	return nil
}

// ctxForHost is the context a host call acts on (Envoy's contextOrEffectiveContext).
func (v *vm) ctxForHost() *hctx {
	if v.effective != nil {
		return v.effective
	}
	if v.current != nil {
		return v.current
	}
	return v.vmContext
}

func (v *vm) allocContextID() uint32 {
	for {
		id := v.nextContextID
		v.nextContextID++
		if _, used := v.contexts[id]; !used && id != 0 {
			return id
		}
	}
}

// --- guest memory ---

func (v *vm) read(ptr, size uint32) ([]byte, bool) {
	if size == 0 {
		return nil, true
	}
	return v.mem.Read(ptr, size)
}

func (v *vm) readString(ptr, size uint32) (string, bool) {
	b, ok := v.read(ptr, size)
	if !ok {
		return "", false
	}
	return string(b), true
}

func (v *vm) writeU32(ptr, val uint32) bool { return v.mem.WriteUint32Le(ptr, val) }

func (v *vm) writeU64(ptr uint32, val uint64) bool { return v.mem.WriteUint64Le(ptr, val) }

// guestMalloc allocates size bytes in the guest with malloc /
// proxy_on_memory_allocate; a failure aborts the guest call.
func (v *vm) guestMalloc(size uint32) uint32 {
	stack := v.mallocStack
	if v.depth > 1 {
		stack = make([]uint64, 1)
	}
	stack[0] = uint64(size)
	if err := v.malloc.CallWithStack(v.ctx, stack); err != nil {
		panic(fmt.Errorf("malloc(%d) trapped: %w", size, err))
	}
	p := uint32(stack[0])
	if p == 0 {
		panic(fmt.Errorf("malloc(%d) returned 0", size))
	}
	return p
}

// copyOut writes data into fresh guest memory and stores its address and size
// at ptrPtr / sizePtr (proxy-wasm-cpp-host copyToPointerSize).
func (v *vm) copyOut(data []byte, ptrPtr, sizePtr uint32) status {
	var p uint32
	if len(data) > 0 {
		p = v.guestMalloc(uint32(len(data)))
		if !v.mem.Write(p, data) {
			return statusInvalidMemoryAccess
		}
	}
	if !v.writeU32(ptrPtr, p) || !v.writeU32(sizePtr, uint32(len(data))) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func (v *vm) copyOutString(s string, ptrPtr, sizePtr uint32) status {
	var p uint32
	if len(s) > 0 {
		p = v.guestMalloc(uint32(len(s)))
		if !v.mem.WriteString(p, s) {
			return statusInvalidMemoryAccess
		}
	}
	if !v.writeU32(ptrPtr, p) || !v.writeU32(sizePtr, uint32(len(s))) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func (v *vm) copyOutPairs(m []Header, ptrPtr, sizePtr uint32) status {
	if len(m) == 0 {
		return v.copyOut(nil, ptrPtr, sizePtr)
	}
	size := pairsSize(m)
	p := v.guestMalloc(uint32(size))
	buf, ok := v.mem.Read(p, uint32(size))
	if !ok {
		return statusInvalidMemoryAccess
	}
	marshalPairs(buf[:0], m)
	if !v.writeU32(ptrPtr, p) || !v.writeU32(sizePtr, uint32(size)) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// --- asynchronous deliveries ---

// post queues f to run on the VM's thread at the next pump.
func (v *vm) post(f func()) {
	v.pendMu.Lock()
	v.pending = append(v.pending, f)
	v.pendMu.Unlock()
	v.host.signal()
}

// pump runs queued deliveries and due ticks; the caller holds v.mu.
func (v *vm) pump(now time.Time) (did bool, err error) {
	for {
		v.pendMu.Lock()
		work := v.pending
		v.pending = nil
		v.pendMu.Unlock()
		if len(work) == 0 {
			break
		}
		did = true
		for _, f := range work {
			if v.failed != nil {
				return did, v.failed
			}
			f()
		}
	}
	if v.failed != nil {
		return did, v.failed
	}
	for id, t := range v.ticks {
		if t.period <= 0 || now.Before(t.next) {
			continue
		}
		t.next = now.Add(t.period)
		c := v.contexts[id]
		if c == nil {
			continue
		}
		did = true
		if _, err := v.call(c, v.onTick, uint64(id)); err != nil {
			return did, err
		}
	}
	return did, v.failed
}
