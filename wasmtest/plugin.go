package wasmtest

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// PluginOptions describes one Envoy wasm plugin (a filter configuration).
type PluginOptions struct {
	Name, RootID, VMID string
	// VMConfig is passed to proxy_on_vm_start, Config to proxy_on_configure.
	VMConfig, Config []byte
	Wasm             []byte
	// Workers is the number of VMs (Envoy worker threads); default 1.
	Workers int
}

// Plugin is a configured filter: one root context in each of its VMs.
type Plugin struct {
	host  *Host
	opts  PluginOptions
	group *vmGroup
	roots []*hctx // per worker
}

// vmGroup is the set of VMs (one per worker) of one (vm_id, vm_config, code)
// key; plugins with the same key share them, as in Envoy.
type vmGroup struct {
	key      [32]byte
	vmID     string
	vmConfig []byte
	abi      string
	vms      []*vm
	plugins  []*Plugin
}

const (
	abi010 = "0.1.0"
	abi020 = "0.2.0"
	abi021 = "0.2.1"
)

// abiVersion reads the ABI version from the exported proxy_abi_version_*
// function, as BytecodeUtil::getAbiVersion does.
func abiVersion(exports map[string]api.FunctionDefinition) string {
	switch {
	case exports["proxy_abi_version_0_2_1"] != nil:
		return abi021
	case exports["proxy_abi_version_0_2_0"] != nil:
		return abi020
	case exports["proxy_abi_version_0_1_0"] != nil:
		return abi010
	}
	return ""
}

// Workers returns the number of VMs the plugin runs in.
func (p *Plugin) Workers() int { return len(p.roots) }

// Options returns the options the plugin was created with.
func (p *Plugin) Options() PluginOptions { return p.opts }

// RootContextID returns the root context id of the plugin in a worker's VM.
func (p *Plugin) RootContextID(worker int) uint32 { return p.roots[worker].id }

// MemorySize returns the linear memory size in bytes of that worker's VM.
func (p *Plugin) MemorySize(worker int) uint64 {
	v := p.group.vms[worker]
	v.mu.Lock()
	defer v.mu.Unlock()
	return uint64(v.mem.Size())
}

// Failed returns the error that killed a worker's VM, or nil.
func (p *Plugin) Failed(worker int) error {
	v := p.group.vms[worker]
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.failed
}

func (h *Host) compile(ctx context.Context, wasm []byte) (*compiledModule, error) {
	sum := wasmHash(wasm)
	if c := h.compiled[sum]; c != nil {
		return c, nil
	}
	mod, err := h.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("wasmtest: compile: %w", err)
	}
	abi := abiVersion(mod.ExportedFunctions())
	if abi == "" {
		return nil, fmt.Errorf("wasmtest: Missing or unknown Proxy-Wasm ABI version (no proxy_abi_version_* export)")
	}
	c := &compiledModule{mod: mod, abi: abi}
	h.compiled[sum] = c
	return c, nil
}

// NewPlugin configures a plugin like Envoy: VMs are shared with earlier
// plugins of identical (VMID, VMConfig, Wasm), otherwise Workers new VMs are
// started (_initialize + main, or _start, with only the host calls Envoy
// allows at that stage); then in each VM a root context is created
// (proxy_on_context_create), started (proxy_on_vm_start with VMConfig) and
// configured (proxy_on_configure with Config). It fails if the module does not
// link (a host function Envoy lacks), traps, or either callback returns false.
func (h *Host) NewPlugin(ctx context.Context, opts PluginOptions) (*Plugin, error) {
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	opts.Wasm = append([]byte(nil), opts.Wasm...)
	opts.VMConfig = append([]byte(nil), opts.VMConfig...)
	opts.Config = append([]byte(nil), opts.Config...)

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("wasmtest: host closed")
	}
	key := vmKey(opts.VMID, opts.VMConfig, opts.Wasm)
	g := h.groups[key]
	if g != nil && len(g.vms) != opts.Workers {
		return nil, fmt.Errorf("wasmtest: plugin %q shares VMs with another plugin but asks for %d workers instead of %d", opts.Name, opts.Workers, len(g.vms))
	}
	if g == nil {
		cm, err := h.compile(ctx, opts.Wasm)
		if err != nil {
			return nil, err
		}
		g = &vmGroup{key: key, vmID: opts.VMID, vmConfig: opts.VMConfig, abi: cm.abi}
		for i := 0; i < opts.Workers; i++ {
			v, err := h.startVM(ctx, g, cm, i)
			if err != nil {
				return nil, err
			}
			g.vms = append(g.vms, v)
		}
		h.groups[key] = g
		h.vms = append(h.vms, g.vms...)
	}
	if !h.anyVMID {
		h.anyVMID, h.firstVM = true, opts.VMID
	}
	p := &Plugin{host: h, opts: opts, group: g, roots: make([]*hctx, len(g.vms))}
	for i, v := range g.vms {
		root, err := v.startRoot(p)
		if err != nil {
			return nil, err
		}
		p.roots[i] = root
	}
	g.plugins = append(g.plugins, p)
	h.plugins = append(h.plugins, p)
	return p, nil
}

func vmKey(vmID string, vmConfig, code []byte) [32]byte {
	s := sha256.New()
	s.Write([]byte(vmID))
	s.Write(vmConfig)
	s.Write(code)
	var k [32]byte
	copy(k[:], s.Sum(nil))
	return k
}

// startVM instantiates one VM and runs the module's start functions
// (WasmBase::initialize + startVm).
func (h *Host) startVM(ctx context.Context, g *vmGroup, cm *compiledModule, index int) (*vm, error) {
	v := &vm{
		host: h, group: g, index: index,
		contexts:      map[uint32]*hctx{},
		nextContextID: 1,
		ticks:         map[uint32]*tickState{},
		metricIDs:     map[uint32]*metric{},
		httpCalls:     map[uint32]*hctx{},
		nextHTTPToken: 1,
		stack:         make([]uint64, 8),
		mallocStack:   make([]uint64, 1),
	}
	for i := range v.nextMetric {
		v.nextMetric[i] = uint32(i)
	}
	v.vmContext = &hctx{id: 0}
	v.contexts[0] = v.vmContext
	v.ctx = context.WithValue(context.Background(), vmCtxKey{}, v)

	env := h.envs[cm.abi]
	ictx := experimental.WithImportResolver(v.ctx, func(name string) api.Module {
		if name == "env" {
			return env
		}
		return nil
	})
	mod, err := h.rt.InstantiateModule(ictx, cm.mod, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("wasmtest: instantiate %s: %w", describeVM(g, index), err)
	}
	v.mod = mod
	v.mem = mod.Memory()
	if v.mem == nil {
		return nil, fmt.Errorf("wasmtest: %s: module exports no memory", describeVM(g, index))
	}
	v.malloc = mod.ExportedFunction("malloc")
	if v.malloc == nil {
		v.malloc = mod.ExportedFunction("proxy_on_memory_allocate")
	}
	if v.malloc == nil {
		return nil, fmt.Errorf("wasmtest: %s: Wasm module is missing malloc function", describeVM(g, index))
	}
	get := func(name string) api.Function { return mod.ExportedFunction(name) }
	v.onContextCreate = get("proxy_on_context_create")
	v.onVMStart = get("proxy_on_vm_start")
	v.onConfigure = get("proxy_on_configure")
	v.onDone = get("proxy_on_done")
	v.onLog = get("proxy_on_log")
	v.onDelete = get("proxy_on_delete")
	v.onRequestHeaders = get("proxy_on_request_headers")
	v.onRequestBody = get("proxy_on_request_body")
	v.onRequestTrailers = get("proxy_on_request_trailers")
	v.onResponseHeaders = get("proxy_on_response_headers")
	v.onResponseBody = get("proxy_on_response_body")
	v.onResponseTrailers = get("proxy_on_response_trailers")
	v.onTick = get("proxy_on_tick")
	v.onHTTPCallResponse = get("proxy_on_http_call_response")
	v.onQueueReady = get("proxy_on_queue_ready")

	// startVm: only logging, args/environ, preopens, clock and random are
	// allowed while the module initializes.
	v.starting = true
	if init := get("_initialize"); init != nil {
		if _, err := v.call(v.vmContext, init); err != nil {
			return nil, err
		}
		if main := get("main"); main != nil {
			if _, err := v.call(v.vmContext, main, 0, 0); err != nil {
				return nil, err
			}
		}
	} else if start := get("_start"); start != nil {
		if _, err := v.call(v.vmContext, start); err != nil {
			return nil, err
		}
	}
	v.starting = false
	return v, nil
}

func describeVM(g *vmGroup, index int) string {
	return fmt.Sprintf("vm %q worker %d", g.vmID, index)
}

// startRoot creates and configures the plugin's root context in this VM
// (WasmBase::start + configure).
func (v *vm) startRoot(p *Plugin) (*hctx, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.failed != nil {
		return nil, v.failed
	}
	root := &hctx{plugin: p}
	root.id = v.allocContextID()
	root.root = root
	v.contexts[root.id] = root

	root.pluginConfig, root.hasConfig = p.opts.Config, true
	if _, err := v.call(root, v.onContextCreate, uint64(root.id), 0); err != nil {
		return nil, err
	}
	root.pluginConfig, root.hasConfig = nil, false
	if v.onVMStart != nil {
		ok, err := v.call(root, v.onVMStart, uint64(root.id), uint64(len(v.group.vmConfig)))
		if err != nil {
			return nil, err
		}
		if uint32(ok) == 0 {
			return nil, fmt.Errorf("wasmtest: %s: proxy_on_vm_start returned false (plugin %q)", v.name(), p.opts.Name)
		}
	}
	if v.onConfigure != nil {
		root.pluginConfig, root.hasConfig = p.opts.Config, true
		ok, err := v.call(root, v.onConfigure, uint64(root.id), uint64(len(p.opts.Config)))
		root.pluginConfig, root.hasConfig = nil, false
		if err != nil {
			return nil, err
		}
		if uint32(ok) == 0 {
			return nil, fmt.Errorf("wasmtest: %s: proxy_on_configure returned false (plugin %q)", v.name(), p.opts.Name)
		}
	}
	return root, nil
}
