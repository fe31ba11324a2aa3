package wasmtest

import (
	"time"

	"github.com/tetratelabs/wazero/api"
)

func u32(s []uint64, i int) uint32 { return uint32(s[i]) }

func ret(s []uint64, st status) { s[0] = uint64(st) }

// proxyCommonFunctions is FOR_ALL_HOST_FUNCTIONS of
// proxy-wasm-cpp-host include/proxy-wasm/exports.h.
func proxyCommonFunctions() []hostFunc {
	return []hostFunc{
		{"proxy_log", i32s(3), i32s(1), hostLog},
		{"proxy_get_status", i32s(3), i32s(1), hostGetStatus},
		{"proxy_set_property", i32s(4), i32s(1), hostSetProperty},
		{"proxy_get_property", i32s(4), i32s(1), hostGetProperty},
		{"proxy_send_local_response", i32s(8), i32s(1), hostSendLocalResponse},
		{"proxy_get_shared_data", i32s(5), i32s(1), hostGetSharedData},
		{"proxy_set_shared_data", i32s(5), i32s(1), hostSetSharedData},
		{"proxy_register_shared_queue", i32s(3), i32s(1), hostRegisterQueue},
		{"proxy_resolve_shared_queue", i32s(5), i32s(1), hostResolveQueue},
		{"proxy_dequeue_shared_queue", i32s(3), i32s(1), hostDequeue},
		{"proxy_enqueue_shared_queue", i32s(3), i32s(1), hostEnqueue},
		{"proxy_get_header_map_value", i32s(5), i32s(1), hostGetHeaderMapValue},
		{"proxy_add_header_map_value", i32s(5), i32s(1), hostAddHeaderMapValue},
		{"proxy_replace_header_map_value", i32s(5), i32s(1), hostReplaceHeaderMapValue},
		{"proxy_remove_header_map_value", i32s(3), i32s(1), hostRemoveHeaderMapValue},
		{"proxy_get_header_map_pairs", i32s(3), i32s(1), hostGetHeaderMapPairs},
		{"proxy_set_header_map_pairs", i32s(3), i32s(1), hostSetHeaderMapPairs},
		{"proxy_get_header_map_size", i32s(2), i32s(1), hostGetHeaderMapSize},
		{"proxy_get_buffer_status", i32s(3), i32s(1), hostGetBufferStatus},
		{"proxy_get_buffer_bytes", i32s(5), i32s(1), hostGetBufferBytes},
		{"proxy_set_buffer_bytes", i32s(5), i32s(1), hostSetBufferBytes},
		{"proxy_http_call", i32s(10), i32s(1), hostHTTPCall},
		{"proxy_grpc_call", i32s(12), i32s(1), hostUnimplemented},
		{"proxy_grpc_stream", i32s(9), i32s(1), hostUnimplemented},
		{"proxy_grpc_close", i32s(1), i32s(1), hostNotFound},
		{"proxy_grpc_cancel", i32s(1), i32s(1), hostNotFound},
		{"proxy_grpc_send", i32s(4), i32s(1), hostNotFound},
		{"proxy_set_tick_period_milliseconds", i32s(1), i32s(1), hostSetTickPeriod},
		{"proxy_get_current_time_nanoseconds", i32s(1), i32s(1), hostGetCurrentTime},
		{"proxy_define_metric", i32s(4), i32s(1), hostDefineMetric},
		{"proxy_increment_metric", []api.ValueType{i32, i64}, i32s(1), hostIncrementMetric},
		{"proxy_record_metric", []api.ValueType{i32, i64}, i32s(1), hostRecordMetric},
		{"proxy_get_metric", i32s(2), i32s(1), hostGetMetric},
		{"proxy_set_effective_context", i32s(1), i32s(1), hostSetEffectiveContext},
		{"proxy_done", nil, i32s(1), hostNotFound},
		{"proxy_call_foreign_function", i32s(6), i32s(1), hostNotFound},
	}
}

// proxyABI010Functions are registered for ABI 0.1.0 modules only.
func proxyABI010Functions() []hostFunc {
	return []hostFunc{
		{"proxy_get_configuration", i32s(2), i32s(1), hostGetConfiguration},
		{"proxy_continue_request", nil, i32s(1), func(v *vm, s []uint64) { ret(s, continueStream(v, streamRequest)) }},
		{"proxy_continue_response", nil, i32s(1), func(v *vm, s []uint64) { ret(s, continueStream(v, streamResponse)) }},
		{"proxy_clear_route_cache", nil, i32s(1), func(v *vm, s []uint64) { ret(s, statusOK) }},
	}
}

// proxyABI02Functions are registered for ABI 0.2.0 (and, with
// proxy_get_log_level, 0.2.1) modules.
func proxyABI02Functions(withLogLevel bool) []hostFunc {
	fs := []hostFunc{
		{"proxy_continue_stream", i32s(1), i32s(1), func(v *vm, s []uint64) { ret(s, continueStream(v, u32(s, 0))) }},
		{"proxy_close_stream", i32s(1), i32s(1), func(v *vm, s []uint64) { ret(s, closeStream(v, u32(s, 0))) }},
	}
	if withLogLevel {
		fs = append(fs, hostFunc{"proxy_get_log_level", i32s(1), i32s(1), func(v *vm, s []uint64) {
			if !v.writeU32(u32(s, 0), uint32(v.host.opts.LogLevel)) {
				ret(s, statusInvalidMemoryAccess)
				return
			}
			ret(s, statusOK)
		}})
	}
	return fs
}

func hostUnimplemented(v *vm, s []uint64) { ret(s, statusUnimplemented) }
func hostNotFound(v *vm, s []uint64)      { ret(s, statusNotFound) }

// --- logging ---

func (v *vm) log(level LogLevel, msg string) {
	if level < v.host.opts.LogLevel {
		return
	}
	v.host.logs.add(level, logPrefix(v.ctxForHost()), msg)
}

func hostLog(v *vm, s []uint64) {
	level := u32(s, 0)
	if level > uint32(LogCritical) {
		ret(s, statusBadArgument)
		return
	}
	msg, ok := v.readString(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	v.log(LogLevel(level), msg)
	ret(s, statusOK)
}

func hostGetStatus(v *vm, s []uint64) {
	if !v.writeU32(u32(s, 0), 0) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, v.copyOut(nil, u32(s, 1), u32(s, 2)))
}

func hostGetConfiguration(v *vm, s []uint64) {
	c := v.ctxForHost()
	data := v.group.vmConfig
	if c.hasConfig {
		data = c.pluginConfig
	}
	ret(s, v.copyOut(data, u32(s, 0), u32(s, 1)))
}

// --- properties ---

func hostSetProperty(v *vm, s []uint64) {
	key, ok1 := v.read(u32(s, 0), u32(s, 1))
	val, ok2 := v.read(u32(s, 2), u32(s, 3))
	if !ok1 || !ok2 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	c := v.ctxForHost()
	if c.stream == nil {
		ret(s, statusNotFound)
		return
	}
	c.stream.setProperty(propertyKey(key), val)
	ret(s, statusOK)
}

func hostGetProperty(v *vm, s []uint64) {
	path, ok := v.read(u32(s, 0), u32(s, 1))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	val, st := v.property(v.ctxForHost(), propertyKey(path))
	if st != statusOK {
		ret(s, st)
		return
	}
	ret(s, v.copyOut(val, u32(s, 2), u32(s, 3)))
}

// propertyKey turns a NUL-separated proxy-wasm property path into the dotted
// form used as map key ("connection\x00mtls" -> "connection.mtls").
func propertyKey(path []byte) string {
	end := len(path)
	for end > 0 && path[end-1] == 0 {
		end--
	}
	var buf [128]byte // one allocation (the result) for the usual short path
	b := buf[:0]
	for _, c := range path[:end] {
		if c == 0 {
			c = '.'
		}
		b = append(b, c)
	}
	return string(b)
}

// --- local reply and stream control ---

func hostSendLocalResponse(v *vm, s []uint64) {
	details, ok1 := v.readString(u32(s, 1), u32(s, 2))
	body, ok2 := v.read(u32(s, 3), u32(s, 4))
	hdrs, ok3 := v.read(u32(s, 5), u32(s, 6))
	if !ok1 || !ok2 || !ok3 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	c := v.ctxForHost()
	if c.stream == nil {
		ret(s, statusOK) // no decoder callbacks on a root context: nothing happens
		return
	}
	ret(s, c.stream.sendLocalResponse(v, int(u32(s, 0)), details, append([]byte(nil), body...), unmarshalPairs(hdrs), int32(u32(s, 7))))
}

func continueStream(v *vm, typ uint32) status {
	switch typ {
	case streamRequest, streamResponse:
	default:
		return statusBadArgument
	}
	c := v.ctxForHost()
	if c.stream == nil {
		return statusOK
	}
	st := c.stream
	v.after = append(v.after, func() { st.resume(typ) })
	return statusOK
}

func closeStream(v *vm, typ uint32) status {
	switch typ {
	case streamRequest, streamResponse:
	default:
		return statusBadArgument
	}
	c := v.ctxForHost()
	if c.stream == nil {
		return statusOK
	}
	st := c.stream
	v.after = append(v.after, func() { st.reset = true })
	return statusOK
}

// --- ticks, time, metrics, contexts ---

func hostSetTickPeriod(v *vm, s []uint64) {
	c := v.ctxForHost()
	id := rootID(c)
	period := time.Duration(u32(s, 0)) * time.Millisecond
	if period == 0 {
		delete(v.ticks, id)
	} else {
		v.ticks[id] = &tickState{period: period, next: v.host.clock.Now().Add(period)}
	}
	ret(s, statusOK)
}

func hostGetCurrentTime(v *vm, s []uint64) {
	if !v.writeU64(u32(s, 0), uint64(v.host.clock.Now().UnixNano())) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

// Metric ids carry the type in the low bits, as Envoy's Wasm::nextCounterMetricId etc.
const (
	metricTypeMask    = 0xf
	metricIDIncrement = 0x10
)

func hostDefineMetric(v *vm, s []uint64) {
	typ := u32(s, 0)
	if typ > metricHistogram {
		ret(s, statusBadArgument)
		return
	}
	name, ok := v.readString(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	m := v.host.metrics.define(typ, name)
	id := v.nextMetric[typ]
	v.nextMetric[typ] += metricIDIncrement
	v.metricIDs[id] = m
	if !v.writeU32(u32(s, 3), id) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

func hostIncrementMetric(v *vm, s []uint64) {
	m := v.metricIDs[u32(s, 0)]
	if m == nil {
		ret(s, statusNotFound)
		return
	}
	ret(s, v.host.metrics.increment(m, int64(s[1])))
}

func hostRecordMetric(v *vm, s []uint64) {
	m := v.metricIDs[u32(s, 0)]
	if m == nil {
		ret(s, statusNotFound)
		return
	}
	ret(s, v.host.metrics.record(m, s[1]))
}

func hostGetMetric(v *vm, s []uint64) {
	m := v.metricIDs[u32(s, 0)]
	if m == nil {
		ret(s, statusNotFound)
		return
	}
	val, st := v.host.metrics.get(m)
	if st != statusOK {
		ret(s, st)
		return
	}
	if !v.writeU64(u32(s, 1), val) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

func hostSetEffectiveContext(v *vm, s []uint64) {
	c := v.contexts[u32(s, 0)]
	if c == nil {
		ret(s, statusBadArgument)
		return
	}
	v.effective = c
	ret(s, statusOK)
}
