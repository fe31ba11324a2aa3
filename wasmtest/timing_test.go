package wasmtest

import (
	"encoding/binary"
	"strconv"
	"testing"
	"time"
)

func TestTicks(t *testing.T) {
	clock := NewManualClock(time.Unix(1700000000, 0))
	h := newHost(t, HostOptions{Clock: clock})
	opts := probeOptions(t)
	opts.Workers = 2
	opts.Config = []byte("tick=100")
	newPlugin(t, h, opts)
	ticks := func() uint64 { v, _ := h.Metric("probe_ticks_total"); return v }

	steps := []struct {
		advance time.Duration
		want    uint64
	}{
		{0, 0},
		{99 * time.Millisecond, 0},
		{time.Millisecond, 2}, // one tick per VM's root context
		{50 * time.Millisecond, 2},
		{50 * time.Millisecond, 4},
		{time.Second, 6}, // a late timer fires once, not once per missed period
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		if err := h.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := ticks(); got != st.want {
			t.Fatalf("step %d (+%v): %d ticks, want %d", i, st.advance, got, st.want)
		}
	}
	if !hasLog(h, LogInfo, "wasm log probe-root probe-vm: tick root=1") {
		t.Errorf("tick log missing: %q", h.Logs(LogInfo))
	}
}

func TestClock(t *testing.T) {
	t0 := time.Unix(1700000000, 123456789)
	clock := NewManualClock(t0)
	h := newHost(t, HostOptions{Clock: clock})
	p := newPlugin(t, h, probeOptions(t))
	_, up := do(t, p, StreamOptions{}, "time")
	if got := mustHeader(t, up, "x-result"); got != strconv.FormatInt(t0.UnixNano(), 10) {
		t.Fatalf("guest time.Now() = %s, want the host clock %d", got, t0.UnixNano())
	}
	clock.Set(t0.Add(time.Hour))
	_, up = do(t, p, StreamOptions{}, "time")
	if got := mustHeader(t, up, "x-result"); got != strconv.FormatInt(t0.Add(time.Hour).UnixNano(), 10) {
		t.Fatalf("after Set: %s", got)
	}
}

// TestMetrics: metrics defined by name are one stat across all VMs.
func TestMetrics(t *testing.T) {
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.Workers = 2
	p := newPlugin(t, h, opts)
	for i := 0; i < 3; i++ {
		do(t, p, StreamOptions{Worker: 0}, "")
	}
	_, up := do(t, p, StreamOptions{Worker: 1}, "metrics", "x-gauge", "5", "x-hist", "7")
	if got := mustHeader(t, up, "x-result"); got != "4" {
		t.Errorf("counter read by the guest (proxy_get_metric) = %s, want 4 (shared across VMs)", got)
	}
	_, up = do(t, p, StreamOptions{Worker: 0}, "metrics", "x-gauge", "-2", "x-hist", "9")
	if got := mustHeader(t, up, "x-gauge-value"); got != "3" {
		t.Errorf("gauge = %s, want 3", got)
	}
	if v, ok := h.Metric("probe_requests_total"); !ok || v != 5 {
		t.Errorf("probe_requests_total = %d %v, want 5", v, ok)
	}
	if v, _ := h.Metric("probe_gauge"); v != 3 {
		t.Errorf("probe_gauge = %d, want 3", v)
	}
	if v, _ := h.Metric("probe_latency"); v != 16 {
		t.Errorf("histogram sum = %d, want 16", v)
	}
	if s := h.HistogramSamples("probe_latency"); len(s) != 2 || s[0] != 7 || s[1] != 9 {
		t.Errorf("histogram samples = %v", s)
	}
	if _, ok := h.Metric("undefined"); ok {
		t.Error("undefined metric reported")
	}
}

// TestManyVMs covers proxytest divergence 3: several VMs of one module, each
// with its own memory and context ids, sharing shared data.
func TestManyVMs(t *testing.T) {
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.Workers = 4
	p := newPlugin(t, h, opts)
	for w := 0; w < 4; w++ {
		if p.RootContextID(w) != 1 {
			t.Errorf("worker %d root id = %d", w, p.RootContextID(w))
		}
		_, up := do(t, p, StreamOptions{Worker: w}, "shared-incr", "x-key", "per-request")
		if got := mustHeader(t, up, "x-context-id"); got != "2" {
			t.Errorf("worker %d first stream id = %s, want 2 (ids are per VM)", w, got)
		}
		if p.MemorySize(w) == 0 {
			t.Errorf("worker %d has no memory", w)
		}
	}
	if got := sharedString(h, "per-request"); got != "4" {
		t.Fatalf("shared data across 4 VMs = %s, want 4", got)
	}
	if p.group.vms[0].mod == p.group.vms[1].mod {
		t.Fatal("workers share one module instance")
	}
}

// TestCurrentTimeNanoseconds: proxy_get_current_time_nanoseconds reads the
// host clock (the Go SDK does not import it, so a raw module calls it).
func TestCurrentTimeNanoseconds(t *testing.T) {
	imports := []rawImport{
		{"env", "proxy_get_current_time_nanoseconds", i32n(1), i32n(1)},
		{"env", "proxy_set_shared_data", i32n(5), i32n(1)},
	}
	m := minimalProxyModule(imports, rawFunc{export: "proxy_on_vm_start", params: i32n(2), results: i32n(1), body: cat(
		i32Const(208), call(0), opDrop,
		i32Const(100), i32Const(3), i32Const(208), i32Const(8), i32Const(0), call(1), opDrop,
		i32Const(1))})
	m.data = map[uint32][]byte{100: []byte("now")}
	t0 := time.Unix(1800000000, 42)
	h := newHost(t, HostOptions{Clock: NewManualClock(t0)})
	newPlugin(t, h, PluginOptions{VMID: "clock", Wasm: m.encode()})
	v, _, ok := h.SharedDataFor("clock").Get("now")
	if !ok || len(v) != 8 || int64(binary.LittleEndian.Uint64(v)) != t0.UnixNano() {
		t.Fatalf("proxy_get_current_time_nanoseconds wrote %v, want %d", v, t0.UnixNano())
	}
}

// TestTicksRealClock: with no Clock the host uses real time; Wait delivers ticks.
func TestTicksRealClock(t *testing.T) {
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.Config = []byte("tick=10")
	newPlugin(t, h, opts)
	start := time.Now()
	waitFor(t, h, func() bool { v, _ := h.Metric("probe_ticks_total"); return v >= 3 })
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("3 ticks of 10 ms after %v", d)
	}
}
