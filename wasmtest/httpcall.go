package wasmtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// httpResult is an HTTP call response as the root context reads it during
// proxy_on_http_call_response.
type httpResult struct {
	headers, trailers headerMap
	body              []byte
}

// hostHTTPCall is proxy_http_call (Envoy's Context::httpCall): the upstream
// names a cluster, the headers must carry :method, :path and :authority, the
// answer arrives later through proxy_on_http_call_response on the root context.
func hostHTTPCall(v *vm, s []uint64) {
	cluster, ok1 := v.readString(u32(s, 0), u32(s, 1))
	hdrs, ok2 := v.read(u32(s, 2), u32(s, 3))
	body, ok3 := v.read(u32(s, 4), u32(s, 5))
	trls, ok4 := v.read(u32(s, 6), u32(s, 7))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	timeoutMS := int32(u32(s, 8))
	tokPtr := u32(s, 9)
	if !v.writeU32(tokPtr, 0) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	if timeoutMS < 0 {
		ret(s, statusBadArgument)
		return
	}
	base, known := v.host.opts.Clusters[cluster]
	if !known {
		ret(s, statusBadArgument)
		return
	}
	headers := newHeaderMap(unmarshalPairs(hdrs))
	method, okm := headers.get(":method")
	path, okp := headers.get(":path")
	authority, oka := headers.get(":authority")
	if !okm || !okp || !oka {
		ret(s, statusBadArgument)
		return
	}
	root := v.ctxForHost().root
	if root == nil {
		ret(s, statusBadArgument)
		return
	}
	token := v.nextHTTPToken
	for token == 0 || v.httpCalls[token] != nil {
		v.nextHTTPToken++
		token = v.nextHTTPToken
	}
	v.nextHTTPToken++
	v.httpCalls[token] = root

	req, err := http.NewRequest(method, strings.TrimSuffix(base, "/")+path, bytes.NewReader(append([]byte(nil), body...)))
	if err != nil {
		delete(v.httpCalls, token)
		ret(s, statusInternalFailure)
		return
	}
	req.Host = authority
	for _, kv := range headers {
		if !strings.HasPrefix(kv[0], ":") {
			req.Header.Add(kv[0], kv[1])
		}
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header.Set("User-Agent", "") // Envoy adds none; keep Go's default out
	}
	if len(body) > 0 {
		req.ContentLength = int64(len(body))
	}
	if tr := unmarshalPairs(trls); len(tr) > 0 {
		req.Trailer = http.Header{}
		for _, kv := range tr {
			req.Trailer.Add(kv[0], kv[1])
		}
	}
	timeout := time.Duration(timeoutMS) * time.Millisecond
	go v.doHTTPCall(req, timeout, token)
	if !v.writeU32(tokPtr, token) {
		ret(s, statusInvalidMemoryAccess)
		return
	}
	ret(s, statusOK)
}

// doHTTPCall performs the request and queues the delivery on the VM's
// thread; a failure or timeout delivers a response with no headers, body or
// trailers, as Envoy's onHttpCallFailure does.
func (v *vm) doHTTPCall(req *http.Request, timeout time.Duration, token uint32) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res := &httpResult{}
	resp, err := v.host.http.Do(req.WithContext(ctx))
	if err == nil {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr == nil {
			res.headers = headerMap{{":status", strconv.Itoa(resp.StatusCode)}}
			addSorted(&res.headers, resp.Header)
			addSorted(&res.trailers, resp.Trailer)
			res.body = body
		}
	}
	v.post(func() { v.deliverHTTPCall(token, res) })
}

func (v *vm) deliverHTTPCall(token uint32, res *httpResult) {
	root := v.httpCalls[token]
	delete(v.httpCalls, token)
	if root == nil || v.contexts[root.id] != root {
		return
	}
	root.callout = res
	_, _ = v.call(root, v.onHTTPCallResponse, uint64(root.id), uint64(token),
		uint64(len(res.headers)), uint64(len(res.body)), uint64(len(res.trailers)))
	root.callout = nil
}

// PendingHTTPCalls returns the number of HTTP calls issued by the plugin's
// VMs whose response has not been delivered yet.
func (p *Plugin) PendingHTTPCalls() int {
	n := 0
	for _, v := range p.group.vms {
		v.mu.Lock()
		n += len(v.httpCalls)
		v.mu.Unlock()
	}
	return n
}

// addSorted appends h to m with lowercase names in a stable (sorted) order.
func addSorted(m *headerMap, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, val := range h[k] {
			m.add(k, val)
		}
	}
}
