// Package wasmtest is a proxy-wasm ABI 0.2.x host on wazero that loads a
// compiled filter (.wasm) and behaves the way Envoy's host
// (proxy-wasm-cpp-host plus Envoy's source/extensions/common/wasm) does:
// one VM per worker, context ids allocated per VM, one shared-data store and
// shared queues for all VMs, per-stream properties in Envoy's encoding,
// local replies that run the response callbacks, HTTP callouts to real local
// servers, ticks driven by an injectable clock, metrics and logs in Envoy's
// format.
//
// It is black-box: it never imports filter code. Each VM is single-threaded
// (guarded by a mutex); asynchronous events (HTTP call responses, queue
// notifications, ticks) are queued and delivered on the VM's thread from
// Host.Wait, Host.Tick or Host.Pump, so a VM is never entered concurrently.
package wasmtest
