package plugin

// HTTP contexts are recycled: a request otherwise allocates one
// httpContext (~150 bytes) in a heap full of long-lived caches, where
// TinyGo's allocator has to search for a free run and every byte feeds the
// next GC. proxy_on_log (OnHttpStreamDone) is the last callback Envoy makes
// on a stream's context before proxy_on_delete, which the SDK handles by
// dropping its map entry without calling the context, so a context
// returned to the pool there is never used by its old stream again. If a
// host never calls proxy_on_log, contexts are simply not recycled.

// ctxPoolSize bounds the idle contexts a plugin keeps.
const ctxPoolSize = 64

func (p *pluginContext) getHttpContext() *httpContext {
	if n := len(p.ctxPool); n > 0 {
		h := p.ctxPool[n-1]
		p.ctxPool[n-1] = nil
		p.ctxPool = p.ctxPool[:n-1]
		return h
	}
	return &httpContext{plugin: p}
}

// OnHttpStreamDone implements types.HttpContext: the stream is over, the
// context goes back to the pool (reset, so it holds no request data).
func (h *httpContext) OnHttpStreamDone() {
	p := h.plugin
	*h = httpContext{plugin: p}
	if len(p.ctxPool) < ctxPoolSize {
		p.ctxPool = append(p.ctxPool, h)
	}
}
