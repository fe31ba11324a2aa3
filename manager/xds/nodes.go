package xds

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc/peer"
)

// NodeStatus is what the manager knows about one xDS stream of a gateway.
type NodeStatus struct {
	StreamID    int64
	NodeID      string
	Cluster     string // the Envoy node's cluster field
	Environment string
	Address     string // remote address of the stream
	Connected   bool
	ConnectedAt time.Time
	// LastSeen is the time of the last request (subscription, ACK or NACK).
	LastSeen time.Time
	// Acked maps a short resource type name ("Secret", "Cluster") to the last
	// version the gateway ACKed (or reported on reconnect) for it.
	Acked map[string]string
	// AckedVersion is the lowest version ACKed over every subscribed type:
	// the config version the gateway fully runs. 0 until every type is ACKed.
	AckedVersion uint64
	// LastNACK is the last rejected response, nil if none.
	LastNACK *NACK
}

// NACK is one response a gateway rejected.
type NACK struct {
	Type    string // short type name
	Version string // the rejected version
	Message string // Envoy's error_detail message
	At      time.Time
}

// streamState is the tracker's per-stream record.
type streamState struct {
	status NodeStatus
	sent   map[string]sentResponse // type URL -> last response sent
	subs   map[string]bool         // type URLs subscribed
}

type sentResponse struct{ nonce, version string }

// nodeTracker implements serverv3.Callbacks to record every SotW stream: the
// node behind it, when it was last seen, and which versions it ACKed. It
// also turns a NACK into "hold until the next version" (see OnStreamRequest).
type nodeTracker struct {
	mu        sync.Mutex
	streams   map[int64]*streamState
	now       func() time.Time
	retention time.Duration
	onAck     func(Ack) // may be nil
}

// Ack is one ACK of a gateway, as passed to Options.OnAck.
type Ack struct {
	NodeID, Environment string
	Type                string // short type name: "Secret", "Cluster"
	Version             string
}

var _ serverv3.Callbacks = (*nodeTracker)(nil)

func newNodeTracker(now func() time.Time, retention time.Duration, onAck func(Ack)) *nodeTracker {
	return &nodeTracker{streams: map[int64]*streamState{}, now: now, retention: retention, onAck: onAck}
}

// OnStreamOpen implements sotw.Callbacks.
func (t *nodeTracker) OnStreamOpen(ctx context.Context, id int64, _ string) error {
	addr := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		addr = p.Addr.String()
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.streams[id] = &streamState{
		status: NodeStatus{StreamID: id, Address: addr, Connected: true, ConnectedAt: now, LastSeen: now, Acked: map[string]string{}},
		sent:   map[string]sentResponse{},
		subs:   map[string]bool{},
	}
	return nil
}

// OnStreamClosed implements sotw.Callbacks.
func (t *nodeTracker) OnStreamClosed(id int64, _ *corev3.Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.streams[id]; ok {
		s.status.Connected = false
		s.status.LastSeen = t.now()
	}
}

// OnStreamRequest implements sotw.Callbacks. A request whose response_nonce
// is the last one sent for its type ACKs that response, or NACKs it when it
// carries error_detail. On a NACK the request's version_info is set to the
// rejected version, so the snapshot cache holds the watch until the next
// version instead of resending the rejected configuration in a loop.
func (t *nodeTracker) OnStreamRequest(id int64, req *discovery.DiscoveryRequest) error {
	now := t.now()
	t.mu.Lock()
	s, ok := t.streams[id]
	if !ok {
		t.mu.Unlock()
		return nil
	}
	st := &s.status
	st.LastSeen = now
	if n := req.GetNode(); n != nil && n.GetId() != "" {
		st.NodeID, st.Cluster, st.Environment = n.GetId(), n.GetCluster(), EnvironmentOf(n)
	}
	typ := req.GetTypeUrl()
	s.subs[typ] = true
	short := shortType(typ)
	var acked *Ack
	sent, wasSent := s.sent[typ]
	switch {
	case req.GetResponseNonce() == "" && req.GetVersionInfo() != "":
		// First request of a reconnecting gateway: the version it runs.
		st.Acked[short] = req.GetVersionInfo()
	case wasSent && req.GetResponseNonce() == sent.nonce && req.GetErrorDetail() == nil:
		st.Acked[short] = req.GetVersionInfo()
		acked = &Ack{NodeID: st.NodeID, Environment: st.Environment, Type: short, Version: req.GetVersionInfo()}
	case wasSent && req.GetResponseNonce() == sent.nonce:
		st.LastNACK = &NACK{Type: short, Version: sent.version, Message: req.GetErrorDetail().GetMessage(), At: now}
		req.VersionInfo = sent.version
	}
	st.AckedVersion = s.ackedVersion()
	hook := t.onAck
	t.mu.Unlock()
	if acked != nil && hook != nil {
		hook(*acked)
	}
	return nil
}

// ackedVersion is the lowest numeric version ACKed across subscribed types.
func (s *streamState) ackedVersion() uint64 {
	var low uint64
	for typ := range s.subs {
		v, err := strconv.ParseUint(s.status.Acked[shortType(typ)], 10, 64)
		if err != nil {
			return 0
		}
		if low == 0 || v < low {
			low = v
		}
	}
	return low
}

// OnStreamResponse implements sotw.Callbacks.
func (t *nodeTracker) OnStreamResponse(_ context.Context, id int64, req *discovery.DiscoveryRequest, resp *discovery.DiscoveryResponse) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.streams[id]; ok {
		s.sent[req.GetTypeUrl()] = sentResponse{nonce: resp.GetNonce(), version: resp.GetVersionInfo()}
	}
}

// OnDeltaStreamOpen implements delta.Callbacks (delta streams are served but not listed).
func (t *nodeTracker) OnDeltaStreamOpen(context.Context, int64, string) error { return nil }

// OnDeltaStreamClosed implements delta.Callbacks.
func (t *nodeTracker) OnDeltaStreamClosed(int64, *corev3.Node) {}

// OnStreamDeltaRequest implements delta.Callbacks.
func (t *nodeTracker) OnStreamDeltaRequest(int64, *discovery.DeltaDiscoveryRequest) error {
	return nil
}

// OnStreamDeltaResponse implements delta.Callbacks.
func (t *nodeTracker) OnStreamDeltaResponse(int64, *discovery.DeltaDiscoveryRequest, *discovery.DeltaDiscoveryResponse) {
}

// OnFetchRequest implements rest.Callbacks.
func (t *nodeTracker) OnFetchRequest(context.Context, *discovery.DiscoveryRequest) error { return nil }

// OnFetchResponse implements rest.Callbacks.
func (t *nodeTracker) OnFetchResponse(*discovery.DiscoveryRequest, *discovery.DiscoveryResponse) {}

// list returns a copy of every stream's status, connected ones and those
// closed within the retention, sorted by node ID then stream ID. Older closed
// streams are forgotten.
func (t *nodeTracker) list() []NodeStatus {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]NodeStatus, 0, len(t.streams))
	for id, s := range t.streams {
		if !s.status.Connected && now.Sub(s.status.LastSeen) > t.retention {
			delete(t.streams, id)
			continue
		}
		st := s.status
		st.Acked = make(map[string]string, len(s.status.Acked))
		for k, v := range s.status.Acked {
			st.Acked[k] = v
		}
		if s.status.LastNACK != nil {
			n := *s.status.LastNACK
			st.LastNACK = &n
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].NodeID != out[j].NodeID {
			return out[i].NodeID < out[j].NodeID
		}
		return out[i].StreamID < out[j].StreamID
	})
	return out
}

// shortType turns "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret" into "Secret".
func shortType(typeURL string) string {
	return typeURL[strings.LastIndexByte(typeURL, '.')+1:]
}

// EnvironmentOf maps an Envoy node to its certgate environment: the node
// metadata string "certgate_env" if set, else the node's cluster field, else
// "Default".
func EnvironmentOf(n *corev3.Node) string {
	if v := n.GetMetadata().GetFields()[NodeMetadataEnvKey].GetStringValue(); v != "" {
		return v
	}
	if c := n.GetCluster(); c != "" {
		return c
	}
	return DefaultEnvironment
}

// envHash keys the snapshot cache by environment: all gateways of an
// environment share one snapshot.
type envHash struct{}

// ID implements cache.NodeHash.
func (envHash) ID(n *corev3.Node) string { return EnvironmentOf(n) }
