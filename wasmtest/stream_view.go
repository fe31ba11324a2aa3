package wasmtest

// UpstreamRequestHeaders returns the request headers as they went upstream
// after the filter's changes; nil if they did not (yet) go upstream: the
// filter paused them or answered with a local reply.
func (s *Stream) UpstreamRequestHeaders() []Header {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	if s.local != nil || !s.req.released {
		return nil
	}
	return s.reqHeaders.clone()
}

// wentUpstream reports whether the request headers were released upstream
// (no local reply, not paused).
func (s *Stream) wentUpstream() bool {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.local == nil && s.req.released
}

// RequestHeaderMap returns the current request header map, whatever happened
// to the stream (nil before RequestHeaders).
func (s *Stream) RequestHeaderMap() []Header {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.reqHeaders.clone()
}

// UpstreamRequestBody returns the request body that went upstream so far.
func (s *Stream) UpstreamRequestBody() []byte {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	if s.local != nil {
		return nil
	}
	return append([]byte(nil), s.req.passedBody...)
}

// UpstreamRequestTrailers returns the request trailers after the filter's changes.
func (s *Stream) UpstreamRequestTrailers() []Header {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.reqTrailers.clone()
}

// DownstreamResponseHeaders returns the response headers sent downstream
// after the filter's changes: the local reply's if there was one, nil if
// the response headers did not go on.
func (s *Stream) DownstreamResponseHeaders() []Header {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	if s.local != nil {
		return append([]Header(nil), s.local.Headers...)
	}
	if !s.resp.released {
		return nil
	}
	return s.respHeaders.clone()
}

// DownstreamResponseBody returns the response body sent downstream so far.
func (s *Stream) DownstreamResponseBody() []byte {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	if s.local != nil {
		return append([]byte(nil), s.local.Body...)
	}
	return append([]byte(nil), s.resp.passedBody...)
}

// DownstreamResponseTrailers returns the response trailers after the filter's changes.
func (s *Stream) DownstreamResponseTrailers() []Header {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.respTrailers.clone()
}

// LocalResponse returns the filter's local reply, or nil.
func (s *Stream) LocalResponse() *LocalResponse {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	if s.local == nil {
		return nil
	}
	lr := *s.local
	return &lr
}

// RequestPaused reports whether the request is stopped at its headers,
// waiting for proxy_continue_stream.
func (s *Stream) RequestPaused() bool {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.req.stoppedAtHdr || s.req.buffering
}

// ResponsePaused reports whether the response is stopped, waiting for
// proxy_continue_stream.
func (s *Stream) ResponsePaused() bool {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.resp.stoppedAtHdr || s.resp.buffering
}

// Reset reports whether the filter reset the stream (proxy_close_stream).
func (s *Stream) Reset() bool {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	return s.reset
}
