package wasmtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// HostOptions configures a Host.
type HostOptions struct {
	// Clock drives ticks, proxy_get_current_time_nanoseconds and WASI
	// clock_time_get. nil = real time.
	Clock Clock
	// Clusters maps Envoy cluster names to "http://127.0.0.1:port" base URLs
	// for proxy_http_call. A call to any other cluster is rejected with
	// BadArgument, as Envoy does for an unknown cluster.
	Clusters map[string]string
	// LogSink, if set, receives every guest log line as Envoy prints it,
	// prefixed with the level: "[info] wasm log ...: message".
	LogSink io.Writer
	// LogLevel is Envoy's log level: returned by proxy_get_log_level; guest
	// logs below it are dropped as Envoy drops them. Zero = trace (keep all).
	LogLevel LogLevel
}

// compilation cache shared by every Host in the process: tests create many
// hosts over the same .wasm and wazero compiles each module only once.
var compilationCache = wazero.NewCompilationCache()

// Host is one Envoy process: the wazero runtime, the shared-data store and
// queues, metrics, logs, the clock and the cluster map. VMs of every plugin
// created on it share these.
type Host struct {
	opts  HostOptions
	clock Clock
	rt    wazero.Runtime
	envs  map[string]api.Module // ABI version -> "env" host module
	http  *http.Client

	mu       sync.Mutex
	compiled map[[32]byte]*compiledModule
	groups   map[[32]byte]*vmGroup
	vms      []*vm
	plugins  []*Plugin
	closed   bool
	firstVM  string
	anyVMID  bool

	shared  *sharedStore
	metrics *metricStore
	logs    logStore

	wake chan struct{}
}

type compiledModule struct {
	mod wazero.CompiledModule
	abi string
}

// NewHost starts a host. Close it when done.
func NewHost(opts HostOptions) *Host {
	h := &Host{
		opts:     opts,
		clock:    opts.Clock,
		compiled: map[[32]byte]*compiledModule{},
		groups:   map[[32]byte]*vmGroup{},
		shared:   newSharedStore(),
		metrics:  newMetricStore(),
		wake:     make(chan struct{}, 1),
		http:     &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}},
	}
	if h.clock == nil {
		h.clock = realClock{}
	}
	h.logs.sink = opts.LogSink
	ctx := context.Background()
	h.rt = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(compilationCache).
		WithCloseOnContextDone(false))
	h.envs = map[string]api.Module{}
	for _, abi := range []string{abi010, abi020, abi021} {
		m, err := h.instantiateEnv(ctx, abi)
		if err != nil {
			panic(fmt.Sprintf("wasmtest: host module env (ABI %s): %v", abi, err))
		}
		h.envs[abi] = m
	}
	for _, ns := range []string{"wasi_snapshot_preview1", "wasi_unstable"} {
		if err := h.instantiateWASI(ctx, ns); err != nil {
			panic(fmt.Sprintf("wasmtest: host module %s: %v", ns, err))
		}
	}
	return h
}

// Close shuts the host down: root contexts get proxy_on_done and
// proxy_on_delete, then the runtime is closed.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	vms := append([]*vm(nil), h.vms...)
	h.mu.Unlock()
	var errs []error
	for _, v := range vms {
		v.mu.Lock()
		if v.failed == nil {
			for _, p := range v.group.plugins {
				root := p.roots[v.index]
				// WasmBase::startShutdown: proxy_on_delete only once proxy_on_done says done.
				done, err := v.call(root, v.onDone, uint64(root.id))
				if err != nil {
					break
				}
				if uint32(done) != 0 || v.onDone == nil {
					if _, err := v.call(root, v.onDelete, uint64(root.id)); err != nil {
						break
					}
				}
			}
		}
		v.mu.Unlock()
	}
	if err := h.rt.Close(context.Background()); err != nil {
		errs = append(errs, err)
	}
	h.http.CloseIdleConnections()
	return errors.Join(errs...)
}

// Now returns the host clock's time.
func (h *Host) Now() time.Time { return h.clock.Now() }

// SharedData returns the shared-data store as seen by VMs of the first VM id
// used on this host (Envoy scopes shared data by vm_id; most tests use one).
// Use SharedDataFor to pick another vm_id.
func (h *Host) SharedData() *SharedData {
	return &SharedData{store: h.shared, host: h, defaultScope: true}
}

// SharedDataFor returns the shared-data store seen by VMs whose vm_id is vmID.
func (h *Host) SharedDataFor(vmID string) *SharedData {
	return &SharedData{store: h.shared, host: h, vmID: vmID}
}

func (h *Host) defaultVMID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.firstVM
}

// Logs returns the captured guest log lines of one level, as Envoy prints
// them after the level: "wasm log <plugin> <root_id> <vm_id>: <message>".
func (h *Host) Logs(level LogLevel) []string { return h.logs.get(level, false) }

// LogMessages returns the captured guest messages of one level without
// Envoy's prefix.
func (h *Host) LogMessages(level LogLevel) []string { return h.logs.get(level, true) }

// Metric returns the value of a guest-defined metric by name: counters and
// gauges as Envoy's stats hold them (one stat shared by every VM), histograms
// as the sum of recorded values. ok is false if no VM defined it.
func (h *Host) Metric(name string) (value uint64, ok bool) { return h.metrics.value(name) }

// HistogramSamples returns the values recorded into a histogram metric.
func (h *Host) HistogramSamples(name string) []uint64 { return h.metrics.samples(name) }

// signal wakes a Wait loop.
func (h *Host) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *Host) allVMs() []*vm {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*vm(nil), h.vms...)
}

// Pump delivers everything that is ready (HTTP call responses, queue
// notifications, due ticks) on each VM's thread and returns without waiting.
func (h *Host) Pump() error {
	_, err := h.pump()
	return err
}

func (h *Host) pump() (bool, error) {
	now := h.clock.Now()
	any := false
	var errs []error
	for _, v := range h.allVMs() {
		v.mu.Lock()
		if v.failed == nil {
			did, err := v.pump(now)
			any = any || did
			if err != nil {
				errs = append(errs, err)
			}
		}
		v.mu.Unlock()
	}
	return any, errors.Join(errs...)
}

// Tick fires proxy_on_tick on every root context whose period has elapsed on
// the clock, and delivers any other pending events.
func (h *Host) Tick(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := h.pump()
	return err
}

// Wait pumps pending HTTP call responses, queue notifications and ticks
// until cond() holds or ctx is done.
func (h *Host) Wait(ctx context.Context, cond func() bool) error {
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	for {
		if _, err := h.pump(); err != nil {
			return err
		}
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wasmtest: wait: %w", ctx.Err())
		case <-h.wake:
		case <-poll.C:
		}
	}
}

func wasmHash(b []byte) [32]byte { return sha256.Sum256(b) }
