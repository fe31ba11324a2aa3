package wasmtest

import "strconv"

// Proxy-wasm ABI values (proxy-wasm-cpp-host include/proxy-wasm/wasm_api_impl.h
// and the spec's ABI 0.2.1 enums).

// status is a proxy-wasm WasmResult.
type status = uint32

const (
	statusOK                   status = 0
	statusNotFound             status = 1
	statusBadArgument          status = 2
	statusSerializationFailure status = 3
	statusInvalidMemoryAccess  status = 6
	statusEmpty                status = 7
	statusCasMismatch          status = 8
	statusInternalFailure      status = 10
	statusUnimplemented        status = 12
)

// Header map types.
const (
	mapRequestHeaders       = 0
	mapRequestTrailers      = 1
	mapResponseHeaders      = 2
	mapResponseTrailers     = 3
	mapGrpcInitialMetadata  = 4
	mapGrpcTrailingMetadata = 5
	mapHTTPCallHeaders      = 6
	mapHTTPCallTrailers     = 7
	mapMax                  = 7
)

// Buffer types.
const (
	bufRequestBody     = 0
	bufResponseBody    = 1
	bufDownstreamData  = 2
	bufUpstreamData    = 3
	bufHTTPCallBody    = 4
	bufGrpcReceive     = 5
	bufVMConfiguration = 6
	bufPluginConfig    = 7
	bufCallData        = 8
	bufMax             = 8
)

// Stream types (proxy_continue_stream / proxy_close_stream).
const (
	streamRequest    = 0
	streamResponse   = 1
	streamDownstream = 2
	streamUpstream   = 3
)

// Metric types.
const (
	metricCounter   = 0
	metricGauge     = 1
	metricHistogram = 2
)

// LogLevel is a proxy-wasm (and Envoy spdlog) log level.
type LogLevel int

// Log levels as numbered by proxy-wasm.
const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
	LogCritical
)

// String returns Envoy's name for the level.
func (l LogLevel) String() string {
	switch l {
	case LogTrace:
		return "trace"
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warning"
	case LogError:
		return "error"
	case LogCritical:
		return "critical"
	}
	return "unknown"
}

// Action is what a stream callback returned, in proxy-wasm values.
type Action int

const (
	// ActionContinue lets the stream proceed (proxy-wasm Continue = 0).
	ActionContinue Action = 0
	// ActionPause stops iteration (proxy-wasm StopIteration / StopIterationAndBuffer = 1).
	ActionPause Action = 1
)

// String names the action.
func (a Action) String() string {
	switch a {
	case ActionContinue:
		return "Continue"
	case ActionPause:
		return "Pause"
	}
	return "Stop(" + strconv.Itoa(int(a)) + ")"
}
