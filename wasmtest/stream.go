package wasmtest

import (
	"github.com/tetratelabs/wazero/api"

	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrLocalReplySent is returned when the test drives the upstream side of a
// stream that the filter already answered with proxy_send_local_response:
// after a local reply Envoy sends nothing upstream.
var ErrLocalReplySent = errors.New("wasmtest: stream answered by a local reply; nothing goes upstream")

// ErrStreamClosed is returned for calls on a closed stream.
var ErrStreamClosed = errors.New("wasmtest: stream closed")

// StreamOptions describes one HTTP stream (downstream request).
type StreamOptions struct {
	// Worker selects the VM (Envoy worker thread) that runs the stream.
	Worker int
	// Properties are raw property values, keyed by dotted path
	// ("connection.mtls"), in Envoy's encoding (see PropString, PropBool,
	// PropInt, PeerCertificateProperties). They are per stream.
	Properties map[string][]byte
}

// LocalResponse is a reply the filter generated with proxy_send_local_response,
// as it leaves Envoy after the response callbacks ran on it.
type LocalResponse struct {
	Status     int
	Headers    []Header
	Body       []byte
	Details    string
	GrpcStatus int32
}

// direction is the state of one side (request or response) of a stream.
type direction struct {
	started      bool
	released     bool // headers went on (upstream for requests, downstream for responses)
	stoppedAtHdr bool // headers callback stopped iteration; waiting for continue
	buffering    bool // body callback returned StopIterationAndBuffer
	pendingBody  []byte
	pendingEnd   bool
	hasPending   bool
	pendingTrl   headerMap
	passedBody   []byte // body that went on
	resumeAsked  bool
}

// Stream is one HTTP stream through the filter: an HTTP context in one VM.
type Stream struct {
	p *Plugin
	v *vm
	c *hctx

	props    map[string][]byte
	setProps map[string][]byte
	start    time.Time

	reqHeaders, reqTrailers, respHeaders, respTrailers headerMap
	reqBody, respBody                                  []byte
	req, resp                                          direction

	local     *LocalResponse
	localHold bool
	inCall    bool
	reset     bool
	closed    bool
}

// NewStream creates an HTTP context (proxy_on_context_create with the
// plugin's root context as parent) in the chosen worker's VM.
func (p *Plugin) NewStream(ctx context.Context, opts StreamOptions) (*Stream, error) {
	if opts.Worker < 0 || opts.Worker >= len(p.roots) {
		return nil, fmt.Errorf("wasmtest: worker %d out of range (plugin has %d)", opts.Worker, len(p.roots))
	}
	v := p.group.vms[opts.Worker]
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.failed != nil {
		return nil, v.failed
	}
	root := p.roots[opts.Worker]
	s := &Stream{p: p, v: v, props: opts.Properties, start: v.host.clock.Now()}
	s.c = &hctx{id: v.allocContextID(), root: root, plugin: p, stream: s}
	v.contexts[s.c.id] = s.c
	if _, err := v.call(s.c, v.onContextCreate, uint64(s.c.id), uint64(root.id)); err != nil {
		return nil, err
	}
	return s, nil
}

// ContextID returns the stream's context id in its VM.
func (s *Stream) ContextID() uint32 { return s.c.id }

func (s *Stream) enter() error {
	s.v.mu.Lock()
	if s.closed {
		s.v.mu.Unlock()
		return ErrStreamClosed
	}
	if s.v.failed != nil {
		err := s.v.failed
		s.v.mu.Unlock()
		return err
	}
	return nil
}

func (s *Stream) leave() { s.v.mu.Unlock() }

// callback runs one stream callback and then any continue requested during it.
func (s *Stream) callback(d *direction, fn func() (uint64, error), apply func(r uint64)) (Action, error) {
	s.inCall = true
	r, err := fn()
	s.inCall = false
	if err != nil {
		return 0, err
	}
	apply(r)
	if s.local != nil {
		return ActionPause, nil
	}
	if d.resumeAsked {
		d.resumeAsked = false
		if d == &s.req {
			s.resume(streamRequest)
		} else {
			s.resume(streamResponse)
		}
		if s.v.failed != nil {
			return 0, s.v.failed
		}
	}
	return Action(r), nil
}

// RequestHeaders runs proxy_on_request_headers. Header names are lowercased
// first, as Envoy's HTTP/1 codec does.
func (s *Stream) RequestHeaders(h []Header, endOfStream bool) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	if s.local != nil {
		return 0, ErrLocalReplySent
	}
	s.reqHeaders = newHeaderMap(h)
	s.req.started = true
	return s.callback(&s.req, func() (uint64, error) {
		return s.v.call(s.c, s.v.onRequestHeaders, uint64(s.c.id), uint64(len(s.reqHeaders)), b2u(endOfStream))
	}, func(r uint64) {
		if r == 0 && s.local == nil {
			s.req.released = true
		} else {
			s.req.stoppedAtHdr = true
		}
	})
}

// RequestBody runs proxy_on_request_body. While the headers are stopped the
// data is buffered without calling the filter; after StopIterationAndBuffer
// the next call sees the accumulated body.
func (s *Stream) RequestBody(b []byte, endOfStream bool) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	return s.body(&s.req, &s.reqBody, s.v.onRequestBody, b, endOfStream)
}

// ResponseBody runs proxy_on_response_body for the upstream response.
func (s *Stream) ResponseBody(b []byte, endOfStream bool) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	if s.local != nil {
		return 0, ErrLocalReplySent
	}
	return s.body(&s.resp, &s.respBody, s.v.onResponseBody, b, endOfStream)
}

func (s *Stream) body(d *direction, buf *[]byte, fn apiFunction, b []byte, eos bool) (Action, error) {
	if s.local != nil {
		return 0, ErrLocalReplySent
	}
	if d.stoppedAtHdr {
		d.pendingBody = append(d.pendingBody, b...)
		d.pendingEnd = eos
		d.hasPending = true
		return ActionPause, nil
	}
	return s.deliverBody(d, buf, fn, b, eos)
}

func (s *Stream) deliverBody(d *direction, buf *[]byte, fn apiFunction, b []byte, eos bool) (Action, error) {
	if d.buffering {
		*buf = append(*buf, b...)
	} else {
		*buf = append([]byte(nil), b...)
	}
	return s.callback(d, func() (uint64, error) {
		return s.v.call(s.c, fn, uint64(s.c.id), uint64(len(*buf)), b2u(eos))
	}, func(r uint64) {
		if r == 0 && s.local == nil {
			d.passedBody = append(d.passedBody, *buf...)
			*buf = nil
			d.buffering = false
		} else {
			d.buffering = true
		}
	})
}

// RequestTrailers runs proxy_on_request_trailers.
func (s *Stream) RequestTrailers(h []Header) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	return s.trailers(&s.req, &s.reqTrailers, &s.reqBody, s.v.onRequestTrailers, h)
}

// ResponseTrailers runs proxy_on_response_trailers.
func (s *Stream) ResponseTrailers(h []Header) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	return s.trailers(&s.resp, &s.respTrailers, &s.respBody, s.v.onResponseTrailers, h)
}

func (s *Stream) trailers(d *direction, m *headerMap, buf *[]byte, fn apiFunction, h []Header) (Action, error) {
	if s.local != nil {
		return 0, ErrLocalReplySent
	}
	if d.stoppedAtHdr {
		d.pendingTrl = newHeaderMap(h)
		d.hasPending = true
		return ActionPause, nil
	}
	*m = newHeaderMap(h)
	return s.deliverTrailers(d, m, buf, fn)
}

func (s *Stream) deliverTrailers(d *direction, m *headerMap, buf *[]byte, fn apiFunction) (Action, error) {
	return s.callback(d, func() (uint64, error) {
		return s.v.call(s.c, fn, uint64(s.c.id), uint64(len(*m)))
	}, func(r uint64) {
		if r == 0 && s.local == nil && d.buffering {
			d.passedBody = append(d.passedBody, *buf...)
			*buf = nil
			d.buffering = false
		}
	})
}

// ResponseHeaders runs proxy_on_response_headers for the upstream response.
func (s *Stream) ResponseHeaders(h []Header, endOfStream bool) (Action, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	if s.local != nil {
		return 0, ErrLocalReplySent
	}
	s.respHeaders = newHeaderMap(h)
	s.resp.started = true
	return s.callback(&s.resp, func() (uint64, error) {
		return s.v.call(s.c, s.v.onResponseHeaders, uint64(s.c.id), uint64(len(s.respHeaders)), b2u(endOfStream))
	}, func(r uint64) {
		if r == 0 && s.local == nil {
			s.resp.released = true
		} else {
			s.resp.stoppedAtHdr = true
		}
	})
}

// resume is Envoy's continueDecoding / continueEncoding, run after the VM
// call that asked for it (proxy_continue_stream).
func (s *Stream) resume(typ uint32) {
	if s.closed || s.local != nil {
		return
	}
	d, buf, m := &s.req, &s.reqBody, &s.reqTrailers
	bodyFn, trlFn := s.v.onRequestBody, s.v.onRequestTrailers
	if typ == streamResponse {
		d, buf, m = &s.resp, &s.respBody, &s.respTrailers
		bodyFn, trlFn = s.v.onResponseBody, s.v.onResponseTrailers
	}
	if s.inCall {
		d.resumeAsked = true
		return
	}
	switch {
	case d.stoppedAtHdr:
		d.stoppedAtHdr = false
		d.released = true
		if d.hasPending {
			d.hasPending = false
			body, end, trl := d.pendingBody, d.pendingEnd, d.pendingTrl
			d.pendingBody, d.pendingTrl = nil, nil
			if body != nil || end {
				if _, err := s.deliverBody(d, buf, bodyFn, body, end); err != nil || s.local != nil {
					return
				}
			}
			if trl != nil {
				*m = trl
				_, _ = s.deliverTrailers(d, m, buf, trlFn)
			}
		}
	case d.buffering:
		d.buffering = false
		d.passedBody = append(d.passedBody, *buf...)
		*buf = nil
	}
}

// sendLocalResponse records a local reply; Envoy sends it after the VM call
// returns, through the response callbacks of the filter chain.
func (s *Stream) sendLocalResponse(v *vm, code int, details string, body []byte, hdrs []Header, grpc int32) status {
	if s.localHold {
		return statusBadArgument
	}
	s.localHold = true
	v.after = append(v.after, func() { s.runLocalReply(code, details, body, hdrs, grpc) })
	return statusOK
}

func (s *Stream) runLocalReply(code int, details string, body []byte, hdrs []Header, grpc int32) {
	lr := &LocalResponse{Status: code, Details: replaceSpaces(details), GrpcStatus: grpc}
	h := headerMap{{":status", strconv.Itoa(code)}}
	for _, kv := range hdrs {
		h.add(kv[0], kv[1])
	}
	if len(body) > 0 {
		h.replace("content-length", strconv.Itoa(len(body)))
		if _, ok := h.get("content-type"); !ok {
			h.add("content-type", "text/plain")
		}
	}
	respStarted := s.resp.started
	s.local = lr
	if respStarted {
		// The upstream response was already being encoded: record the reply as is.
		lr.Headers, lr.Body = h.clone(), body
		return
	}
	s.respHeaders, s.respBody = h, body
	s.resp.started = true
	v := s.v
	if _, err := v.call(s.c, v.onResponseHeaders, uint64(s.c.id), uint64(len(h)), b2u(len(body) == 0)); err != nil {
		return
	}
	if len(body) > 0 {
		if _, err := v.call(s.c, v.onResponseBody, uint64(s.c.id), uint64(len(body)), 1); err != nil {
			return
		}
	}
	lr.Headers = s.respHeaders.clone()
	lr.Body = append([]byte(nil), s.respBody...)
	s.resp.released = true
}

// replaceSpaces is Envoy's StringUtil::replaceAllEmptySpace for response code details.
func replaceSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			return '_'
		}
		return r
	}, s)
}

// Close ends the stream: proxy_on_done, proxy_on_log, proxy_on_delete.
func (s *Stream) Close() error {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	v := s.v
	defer delete(v.contexts, s.c.id)
	if v.failed != nil {
		return v.failed
	}
	for _, fn := range []apiFunction{v.onDone, v.onLog, v.onDelete} {
		if _, err := v.call(s.c, fn, uint64(s.c.id)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stream) setProperty(key string, val []byte) {
	if s.setProps == nil {
		s.setProps = map[string][]byte{}
	}
	s.setProps[key] = append([]byte(nil), val...)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

type apiFunction = api.Function
