package main

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

type httpContext struct {
	types.DefaultHttpContext
	id     uint32
	plugin *pluginContext
	action string
}

func header(name string) string {
	v, _ := proxywasm.GetHttpRequestHeader(name)
	return v
}

func report(name, value string) { _ = proxywasm.AddHttpRequestHeader(name, value) }

// OnHttpRequestHeaders implements types.HttpContext.
func (c *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	report("x-context-id", strconv.Itoa(int(c.id)))
	c.action = header("x-action")
	switch c.action {
	case "shared-set":
		cas, _ := strconv.Atoi(header("x-cas"))
		report("x-result", errString(proxywasm.SetSharedData(header("x-key"), []byte(header("x-value")), uint32(cas))))
	case "shared-get":
		v, cas, err := proxywasm.GetSharedData(header("x-key"))
		report("x-result", errString(err))
		report("x-value", string(v))
		report("x-cas", strconv.Itoa(int(cas)))
	case "shared-incr":
		report("x-result", errString(incrShared(header("x-key"))))
	case "prop":
		v, err := proxywasm.GetProperty(strings.Split(header("x-prop"), "."))
		report("x-result", errString(err))
		report("x-value", hex.EncodeToString(v))
	case "setprop":
		path := strings.Split(header("x-prop"), ".")
		report("x-result", errString(proxywasm.SetProperty(path, []byte(header("x-value")))))
		v, err := proxywasm.GetProperty(path)
		report("x-get-result", errString(err))
		report("x-value", string(v))
	case "deny", "deny-twice":
		status, _ := strconv.Atoi(header("x-status"))
		if status == 0 {
			status = 403
		}
		err := proxywasm.SendHttpResponse(uint32(status), [][2]string{{"X-Deny", "yes"}, {"content-type", "application/json"}}, []byte(header("x-body")), -1)
		proxywasm.LogInfof("local reply: %s", errString(err))
		if c.action == "deny-twice" {
			err = proxywasm.SendHttpResponse(500, nil, nil, -1)
			proxywasm.LogInfof("second local reply: %s", errString(err))
		}
		return types.ActionPause
	case "callout":
		return c.callout()
	case "headers":
		report("x-added", "1")
		_ = proxywasm.ReplaceHttpRequestHeader("x-replace", "new")
		_ = proxywasm.RemoveHttpRequestHeader("x-remove")
		pairs, err := proxywasm.GetHttpRequestHeaders()
		report("x-pairs", strconv.Itoa(len(pairs))+":"+errString(err))
		report("x-upper-seen", header("x-upper"))
		_, err = proxywasm.GetHttpRequestHeader("x-absent")
		report("x-missing", errString(err))
		_, err = proxywasm.GetHttpResponseHeader(":status")
		report("x-response-map", errString(err))
	case "setpairs":
		pairs, _ := proxywasm.GetHttpRequestHeaders()
		pairs = append(pairs, [2]string{"x-set", "yes"})
		_ = proxywasm.ReplaceHttpRequestHeaders(pairs)
	case "pause":
		return types.ActionPause
	case "log":
		proxywasm.LogTrace("msg-trace")
		proxywasm.LogDebug("msg-debug")
		proxywasm.LogInfo("msg-info")
		proxywasm.LogWarn("msg-warn")
		proxywasm.LogError("msg-error")
		proxywasm.LogCritical("msg-critical")
	case "metrics":
		g, _ := strconv.Atoi(header("x-gauge"))
		c.plugin.gauge.Add(int64(g))
		h, _ := strconv.Atoi(header("x-hist"))
		c.plugin.hist.Record(uint64(h))
		report("x-result", strconv.FormatUint(c.plugin.requests.Value(), 10))
		report("x-gauge-value", strconv.FormatInt(c.plugin.gauge.Value(), 10))
	case "enqueue":
		id, err := proxywasm.ResolveSharedQueue(header("x-vm"), header("x-queue"))
		if err == nil {
			err = proxywasm.EnqueueSharedQueue(id, []byte(header("x-value")))
		}
		report("x-result", errString(err))
	case "time":
		report("x-result", strconv.FormatInt(time.Now().UnixNano(), 10))
	case "panic":
		panic("probe panic on request")
	case "oob":
		// x-offset bytes past a live variable (the test passes ~2 GiB): far
		// beyond linear memory, so the load traps.
		off, _ := strconv.Atoi(header("x-offset"))
		var anchor uint32
		p := (*uint32)(unsafe.Add(unsafe.Pointer(&anchor), off))
		report("x-result", strconv.Itoa(int(*p)))
	case "deny-plain":
		_ = proxywasm.SendHttpResponse(418, nil, []byte("teapot"), -1)
		return types.ActionPause
	case "close":
		_ = proxywasm.SendHttpResponse(503, nil, nil, -1)
	}
	return types.ActionContinue
}

func (c *httpContext) callout() types.Action {
	hdrs := [][2]string{{":method", "GET"}, {":path", header("x-path")}, {":authority", "backend"}, {"x-from", "probe"}}
	if omit := header("x-omit"); omit != "" {
		kept := hdrs[:0]
		for _, h := range hdrs {
			if h[0] != omit {
				kept = append(kept, h)
			}
		}
		hdrs = kept
	}
	timeout, _ := strconv.Atoi(header("x-timeout"))
	if timeout == 0 {
		timeout = 5000
	}
	_, err := proxywasm.DispatchHttpCall(header("x-cluster"), hdrs, []byte(header("x-callout-body")), nil, uint32(timeout),
		func(numHeaders, bodySize, numTrailers int) {
			hdrs, _ := proxywasm.GetHttpCallResponseHeaders()
			status, echo := lookup(hdrs, ":status"), lookup(hdrs, "x-echo")
			body, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
			report("x-callout-status", status)
			report("x-callout-body", string(body))
			report("x-callout-headers", strconv.Itoa(numHeaders))
			report("x-callout-echo", echo)
			if header("x-deny-after") != "" {
				// Deny from the callback, as an auth filter does after a failed check.
				_ = proxywasm.SendHttpResponse(401, nil, []byte("denied after "+status), -1)
				return
			}
			if err := proxywasm.ResumeHttpRequest(); err != nil {
				proxywasm.LogErrorf("resume: %v", err)
			}
		})
	if err != nil {
		report("x-result", errString(err))
		return types.ActionContinue
	}
	report("x-result", "dispatched")
	return types.ActionPause
}

// OnHttpRequestBody implements types.HttpContext: with x-action: buffer the
// body is buffered until the end of stream, then uppercased.
func (c *httpContext) OnHttpRequestBody(size int, eos bool) types.Action {
	if c.action != "buffer" {
		return types.ActionContinue
	}
	if !eos {
		return types.ActionPause
	}
	body, err := proxywasm.GetHttpRequestBody(0, size)
	if err != nil {
		proxywasm.LogErrorf("body: %v", err)
		return types.ActionContinue
	}
	proxywasm.LogInfof("request body: %s", body)
	_ = proxywasm.ReplaceHttpRequestBody([]byte(strings.ToUpper(string(body))))
	return types.ActionContinue
}

// OnHttpRequestTrailers implements types.HttpContext.
func (c *httpContext) OnHttpRequestTrailers(int) types.Action {
	_ = proxywasm.AddHttpRequestTrailer("x-trailer-added", "1")
	return types.ActionContinue
}

// OnHttpResponseHeaders implements types.HttpContext: marks every response,
// local replies included.
func (c *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	status, _ := proxywasm.GetHttpResponseHeader(":status")
	_ = proxywasm.AddHttpResponseHeader("x-seen-status", status)
	_ = proxywasm.AddHttpResponseHeader("x-probe-response", "seen")
	return types.ActionContinue
}

// OnHttpResponseBody implements types.HttpContext.
func (c *httpContext) OnHttpResponseBody(size int, eos bool) types.Action {
	if eos {
		body, _ := proxywasm.GetHttpResponseBody(0, size)
		proxywasm.LogInfof("response body: %s", body)
	}
	return types.ActionContinue
}

// OnHttpResponseTrailers implements types.HttpContext.
func (c *httpContext) OnHttpResponseTrailers(int) types.Action {
	_ = proxywasm.AddHttpResponseTrailer("x-response-trailer-added", "1")
	return types.ActionContinue
}

// OnHttpStreamDone implements types.HttpContext.
func (c *httpContext) OnHttpStreamDone() {
	proxywasm.LogDebugf("stream done id=%d", c.id)
}

func lookup(h [][2]string, name string) string {
	for _, kv := range h {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}
