// Package wasmtest is a proxy-wasm ABI 0.2.x host on wazero that loads a
// compiled filter (.wasm) and behaves the way Envoy's host
// (proxy-wasm-cpp-host plus Envoy's source/extensions/common/wasm) does:
// one VM per worker, context ids allocated per VM, one shared-data store and
// shared queues for all VMs (scoped by vm_id), per-stream properties in
// Envoy's encoding, local replies that run the response callbacks, HTTP
// callouts to real local servers, ticks driven by an injectable clock,
// metrics shared by name, and logs in Envoy's format. Only the host functions
// Envoy registers are provided, so a module importing anything else fails to
// load here as it would in Envoy (see also CheckEnvoyABI).
//
// It is black-box: it never imports filter code. Each VM is single-threaded
// (guarded by a mutex); asynchronous events (HTTP call responses, queue
// notifications, ticks) are queued and delivered on the VM's thread from
// Host.Wait, Host.Tick or Host.Pump, so a VM is never entered concurrently.
//
// Typical use:
//
//	h := wasmtest.NewHost(wasmtest.HostOptions{Clusters: map[string]string{"manager": srv.URL}})
//	defer h.Close()
//	p, err := h.NewPlugin(ctx, wasmtest.PluginOptions{Name: "certgate", RootID: "certgate",
//		VMID: "certgate", Config: cfg, Wasm: wasmtest.MustReadBuild(t, "certgate-filter.wasm"), Workers: 2})
//	s, err := p.NewStream(ctx, wasmtest.StreamOptions{Properties: wasmtest.PeerCertificateProperties(cert, true)})
//	action, err := s.RequestHeaders([]wasmtest.Header{{":method", "GET"}, {":path", "/"}, {":authority", "api"}}, true)
//	if lr := s.LocalResponse(); lr != nil { /* denied: lr.Status, lr.Headers, lr.Body */ }
//	up := s.UpstreamRequestHeaders() // what went upstream
//	err = s.Close()
//
// Known differences from Envoy: no configuration-canary VM (Envoy starts
// and configures one extra, short-lived VM per plugin before the workers';
// here proxy_on_vm_start runs once per worker VM and root context); gRPC
// calls answer Unimplemented; a failed VM returns Go errors (ErrVMFailed)
// instead of Envoy's 503 fail-closed local replies; HTTP call timeouts use
// real time, not the Clock.
package wasmtest
