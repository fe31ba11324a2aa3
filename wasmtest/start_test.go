package wasmtest

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestModuleStart(t *testing.T) {
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.VMConfig = []byte("vm-config-1")
	opts.Config = []byte("queue=start-q")
	newPlugin(t, h, opts)
	if got := sharedString(h, "vm_config"); got != "vm-config-1" {
		t.Errorf("VM configuration seen by proxy_on_vm_start = %q", got)
	}
	if !hasLog(h, LogInfo, "wasm log probe-root probe-vm: plugin start root=1 name=probe-plugin config=queue=start-q") {
		t.Errorf("plugin start log missing: %q", h.Logs(LogInfo))
	}
}

func TestModuleStartFailures(t *testing.T) {
	cases := []struct {
		name    string
		opts    func(PluginOptions) PluginOptions
		wantErr string
	}{
		{"fail/on-configure-false", func(o PluginOptions) PluginOptions { o.Config = []byte("fail"); return o }, "proxy_on_configure returned false"},
		{"fail/on-vm-start-false", func(o PluginOptions) PluginOptions { o.VMConfig = []byte("fail"); return o }, "proxy_on_vm_start returned false"},
		{"fail/restricted-call-during-start", func(o PluginOptions) PluginOptions {
			o.Wasm = MustReadBuild(t, "testfilters/startcall.wasm")
			return o
		}, "restricted_callback: env.proxy_set_shared_data called during VM start"},
		{"fail/no-abi-version", func(o PluginOptions) PluginOptions {
			o.Wasm = rawModule{funcs: []rawFunc{{export: "malloc", params: i32n(1), results: i32n(1), body: i32Const(16)}}}.encode()
			return o
		}, "Missing or unknown Proxy-Wasm ABI version"},
		{"fail/no-malloc", func(o PluginOptions) PluginOptions {
			o.Wasm = rawModule{funcs: []rawFunc{{export: "proxy_abi_version_0_2_1"}}}.encode()
			return o
		}, "missing malloc"},
		{"fail/missing-host-function", func(o PluginOptions) PluginOptions {
			o.Wasm = minimalProxyModule([]rawImport{{"env", "proxy_not_in_envoy", i32n(1), i32n(1)}}).encode()
			return o
		}, "proxy_not_in_envoy"},
		{"fail/wasi-function-envoy-lacks", func(o PluginOptions) PluginOptions {
			o.Wasm = minimalProxyModule([]rawImport{{"wasi_snapshot_preview1", "sock_accept", i32n(3), i32n(1)}}).encode()
			return o
		}, "sock_accept"},
		{"fail/abi-0.1.0-function-in-0.2.1-module", func(o PluginOptions) PluginOptions {
			o.Wasm = minimalProxyModule([]rawImport{{"env", "proxy_continue_request", nil, i32n(1)}}).encode()
			return o
		}, "proxy_continue_request"},
		{"fail/proc-exit-during-start-is-restricted", func(o PluginOptions) PluginOptions {
			m := minimalProxyModule([]rawImport{{"wasi_snapshot_preview1", "proc_exit", i32n(1), nil}},
				rawFunc{export: "_start", body: cat(i32Const(3), call(0))})
			o.Wasm = m.encode()
			return o
		}, "restricted_callback: wasi.proc_exit"},
		{"fail/proc-exit-in-vm-start", func(o PluginOptions) PluginOptions {
			m := minimalProxyModule([]rawImport{{"wasi_snapshot_preview1", "proc_exit", i32n(1), nil}},
				rawFunc{export: "proxy_on_vm_start", params: i32n(2), results: i32n(1), body: cat(i32Const(3), call(0), i32Const(1))})
			o.Wasm = m.encode()
			return o
		}, "proc_exit(3)"},
		{"fail/trap-in-start", func(o PluginOptions) PluginOptions {
			o.Wasm = minimalProxyModule(nil, rawFunc{export: "_start", body: opUnreachable}).encode()
			return o
		}, "unreachable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t, HostOptions{})
			_, err := h.NewPlugin(context.Background(), tc.opts(probeOptions(t)))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewPlugin error = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

// TestModuleStartOrder checks the reactor path: _initialize, then main, then
// the root context's callbacks, each allowed to log.
func TestModuleStartOrder(t *testing.T) {
	logImport := []rawImport{{"env", "proxy_log", i32n(3), i32n(1)}}
	logAt := func(off int32, n int32) []byte { return cat(i32Const(2), i32Const(off), i32Const(n), call(0), opDrop) }
	m := minimalProxyModule(logImport,
		rawFunc{export: "_initialize", body: logAt(100, 4)},
		rawFunc{export: "main", params: i32n(2), results: i32n(1), body: cat(logAt(104, 4), i32Const(0))},
		rawFunc{export: "_start", body: logAt(108, 5)},
		rawFunc{export: "proxy_on_vm_start", params: i32n(2), results: i32n(1), body: cat(logAt(113, 5), i32Const(1))},
		rawFunc{export: "proxy_on_configure", params: i32n(2), results: i32n(1), body: cat(logAt(118, 4), i32Const(1))},
	)
	m.data = map[uint32][]byte{100: []byte("initmainstartvmstrconf")}
	h := newHost(t, HostOptions{})
	opts := PluginOptions{Name: "raw", RootID: "r", VMID: "v", Wasm: m.encode()}
	newPlugin(t, h, opts)
	got := strings.Join(h.LogMessages(LogInfo), ",")
	if got != "init,main,vmstr,conf" {
		t.Fatalf("start order = %q, want init,main,vmstr,conf (no _start when _initialize exists)", got)
	}
}

func TestGetLogLevel(t *testing.T) {
	// proxy_on_vm_start stores proxy_get_log_level's answer in shared data "lvl".
	imports := []rawImport{
		{"env", "proxy_get_log_level", i32n(1), i32n(1)},
		{"env", "proxy_set_shared_data", i32n(5), i32n(1)},
	}
	m := minimalProxyModule(imports, rawFunc{export: "proxy_on_vm_start", params: i32n(2), results: i32n(1), body: cat(
		i32Const(200), call(0), opDrop,
		i32Const(100), i32Const(3), i32Const(200), i32Const(4), i32Const(0), call(1), opDrop,
		i32Const(1))})
	m.data = map[uint32][]byte{100: []byte("lvl")}
	for _, level := range []LogLevel{LogTrace, LogInfo, LogError} {
		t.Run(level.String(), func(t *testing.T) {
			h := newHost(t, HostOptions{LogLevel: level})
			newPlugin(t, h, PluginOptions{VMID: "lvl", Wasm: m.encode()})
			v, _, ok := h.SharedDataFor("lvl").Get("lvl")
			if !ok || len(v) != 4 || LogLevel(binary.LittleEndian.Uint32(v)) != level {
				t.Fatalf("proxy_get_log_level wrote %v, want %d", v, level)
			}
		})
	}
}

func TestContextIDs(t *testing.T) {
	h := newHost(t, HostOptions{})
	a := probeOptions(t)
	b := a
	b.RootID, b.Name = "second-root", "second"
	pa := newPlugin(t, h, a)
	pb := newPlugin(t, h, b) // same VM id, config and code: shares the VM
	if pa.group != pb.group {
		t.Fatal("plugins with identical (vm_id, vm_config, code) must share VMs")
	}
	if pa.RootContextID(0) != 1 || pb.RootContextID(0) != 2 {
		t.Fatalf("root context ids = %d, %d; want 1, 2 in configuration order", pa.RootContextID(0), pb.RootContextID(0))
	}
	for i, want := range []string{"3", "4"} {
		_, up := do(t, pa, StreamOptions{}, "")
		if got := mustHeader(t, up, "x-context-id"); got != want {
			t.Errorf("stream %d context id = %s, want %s", i, got, want)
		}
	}
	_, up := do(t, pb, StreamOptions{}, "")
	if got := mustHeader(t, up, "x-context-id"); got != "5" {
		t.Errorf("second plugin's stream id = %s, want 5 (ids are per VM)", got)
	}

	c := a
	c.VMConfig = []byte("other")
	pc := newPlugin(t, h, c)
	if pc.group == pa.group || pc.RootContextID(0) != 1 {
		t.Fatalf("a different vm_config must get its own VM with root id 1, got shared=%v id=%d", pc.group == pa.group, pc.RootContextID(0))
	}
}

func TestVMStartPerVM(t *testing.T) {
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.Workers = 3
	p := newPlugin(t, h, opts)
	if p.Workers() != 3 {
		t.Fatalf("Workers() = %d", p.Workers())
	}
	if got := sharedString(h, "vm_starts"); got != "3" {
		t.Fatalf("proxy_on_vm_start ran %s times for 3 VMs, want once per VM", got)
	}
	// A second plugin on the same VMs gets its own root context, started like
	// the first one (proxy-wasm-cpp-host ContextBase::onStart calls
	// proxy_on_vm_start for every root context it creates).
	second := opts
	second.RootID = "second"
	newPlugin(t, h, second)
	if got := sharedString(h, "vm_starts"); got != "6" {
		t.Fatalf("after a second root context per VM: %s starts, want 6", got)
	}
	mismatch := opts
	mismatch.Workers = 2
	if _, err := h.NewPlugin(context.Background(), mismatch); err == nil {
		t.Fatal("sharing VMs with another worker count must fail")
	}
}

func TestTraps(t *testing.T) {
	cases := []struct {
		action  string
		wantErr string
	}{
		{"panic", "probe panic on request"},
		{"oob", "out of bounds"},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			h := newHost(t, HostOptions{})
			opts := probeOptions(t)
			opts.Workers = 2
			p := newPlugin(t, h, opts)
			s := newStream(t, p, StreamOptions{Worker: 1})
			_, err := s.RequestHeaders(reqHeaders(tc.action, "x-offset", "2147418112"), true)
			if !errors.Is(err, ErrVMFailed) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("RequestHeaders error = %v, want ErrVMFailed mentioning %q", err, tc.wantErr)
			}
			if tc.action == "panic" && !hasLog(h, LogInfo, "panic: probe panic on request") {
				t.Errorf("TinyGo's panic message (fd_write to stdout) not logged at info: %q", h.Logs(LogInfo))
			}
			if p.Failed(1) == nil || p.Failed(0) != nil {
				t.Fatalf("Failed(1)=%v Failed(0)=%v: only the trapped VM is dead", p.Failed(1), p.Failed(0))
			}
			if _, err := p.NewStream(context.Background(), StreamOptions{Worker: 1}); !errors.Is(err, ErrVMFailed) {
				t.Fatalf("NewStream on a dead VM = %v, want ErrVMFailed", err)
			}
			if _, err := s.ResponseHeaders([]Header{{":status", "200"}}, true); !errors.Is(err, ErrVMFailed) {
				t.Fatalf("callback on a dead VM = %v, want ErrVMFailed", err)
			}
			if _, up := do(t, p, StreamOptions{Worker: 0}, ""); up == nil {
				t.Fatal("the other VM must keep serving")
			}
		})
	}
}
