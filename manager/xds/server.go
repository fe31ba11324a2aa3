package xds

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretservice "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// ErrStaleVersion is returned by Update for a version below the environment's current one.
var ErrStaleVersion = errors.New("xds: version older than the current snapshot")

// Options configure a Server.
type Options struct {
	// Logger receives go-control-plane's logs (resource names and versions,
	// never resource contents). Nil discards them.
	Logger *slog.Logger
	// NodeRetention is how long a closed stream stays in Nodes() (default 15 min).
	NodeRetention time.Duration
	// Now is the clock of Nodes() (default time.Now).
	Now func() time.Time
	// OnAck, if set, is called after a gateway ACKs a version of a
	// resource type (for metrics and propagation measurements). It runs on
	// the stream's goroutine: it must not block.
	OnAck func(ack Ack)
}

// Server is certgate's ADS server: one snapshot per environment, served to
// every gateway whose node maps to it (EnvironmentOf).
//
// The snapshot cache runs with ads=false on purpose: in ADS mode
// go-control-plane answers a named request only when it names every resource
// of the type in the snapshot, so a gateway that subscribes to the client
// truststore alone (static backends, or before CDS arrives) would never get it
// once the environment has backend secrets. Without that mode the cache
// answers the names asked for and tracks what each stream already has.
type Server struct {
	cache cache.SnapshotCache
	xds   serverv3.Server
	nodes *nodeTracker

	mu       sync.Mutex
	versions map[string]uint64

	grpc *grpc.Server
	addr net.Addr
}

// NewServer builds a Server; ctx bounds its xDS streams.
func NewServer(ctx context.Context, opts Options) *Server {
	if opts.NodeRetention <= 0 {
		opts.NodeRetention = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	logger := slogLogger{opts.Logger}
	s := &Server{
		cache:    cache.NewSnapshotCache(false, envHash{}, logger),
		nodes:    newNodeTracker(opts.Now, opts.NodeRetention, opts.OnAck),
		versions: map[string]uint64{},
	}
	s.xds = serverv3.NewServer(ctx, s.cache, s.nodes)
	return s
}

// Start listens on listenAddr (":18000"; ":0" picks a port, see Addr) and
// serves ADS, SDS and CDS over gRPC until ctx ends or Stop. tlsConfig nil
// means plain text — use TLS in production: backend client keys travel in
// SDS secrets.
func (s *Server) Start(ctx context.Context, listenAddr string, tlsConfig *tls.Config) error {
	lis, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("xds: listen %s: %w", listenAddr, err)
	}
	opts := []grpc.ServerOption{
		grpc.MaxConcurrentStreams(1 << 20),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 5 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 15 * time.Second, PermitWithoutStream: true}),
	}
	if tlsConfig != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConfig)))
	}
	g := grpc.NewServer(opts...)
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(g, s.xds)
	secretservice.RegisterSecretDiscoveryServiceServer(g, s.xds)
	clusterservice.RegisterClusterDiscoveryServiceServer(g, s.xds)

	s.mu.Lock()
	if s.grpc != nil {
		s.mu.Unlock()
		_ = lis.Close()
		return errors.New("xds: server already started")
	}
	s.grpc, s.addr = g, lis.Addr()
	s.mu.Unlock()

	go func() { _ = g.Serve(lis) }()
	go func() {
		<-ctx.Done()
		g.Stop()
	}()
	return nil
}

// Addr is the address Start listens on (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Stop closes the listener and every stream.
func (s *Server) Stop() {
	s.mu.Lock()
	g := s.grpc
	s.mu.Unlock()
	if g != nil {
		g.Stop()
	}
}

// Update translates env and pushes it to every gateway of that environment.
// version is the manager's durable config version: it must not go down for an
// environment (ErrStaleVersion); the current version again is a no-op, so a
// retried Update is safe and a restarted manager resumes where gateways are.
func (s *Server) Update(env Environment, version uint64) error {
	if env.Name == "" {
		env.Name = DefaultEnvironment
	}
	snap, err := Translate(env, strconv.FormatUint(version, 10))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.versions[env.Name]; ok {
		switch {
		case version < cur:
			return fmt.Errorf("%w: environment %q is at %d, got %d", ErrStaleVersion, env.Name, cur, version)
		case version == cur:
			return nil
		}
	}
	if err := s.cache.SetSnapshot(context.Background(), env.Name, snap); err != nil {
		return fmt.Errorf("xds: set snapshot of %q: %w", env.Name, err)
	}
	s.versions[env.Name] = version
	return nil
}

// Version is the environment's current snapshot version (false if none).
func (s *Server) Version(envName string) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.versions[envName]
	return v, ok
}

// Nodes lists the gateways' xDS streams: connected ones and those closed
// within Options.NodeRetention.
func (s *Server) Nodes() []NodeStatus { return s.nodes.list() }

// slogLogger adapts slog to go-control-plane's logger; nil discards.
type slogLogger struct{ l *slog.Logger }

func (g slogLogger) Debugf(f string, a ...any) { g.log(slog.LevelDebug, f, a) }
func (g slogLogger) Infof(f string, a ...any)  { g.log(slog.LevelInfo, f, a) }
func (g slogLogger) Warnf(f string, a ...any)  { g.log(slog.LevelWarn, f, a) }
func (g slogLogger) Errorf(f string, a ...any) { g.log(slog.LevelError, f, a) }

func (g slogLogger) log(level slog.Level, f string, a []any) {
	if g.l == nil || !g.l.Enabled(context.Background(), level) {
		return
	}
	g.l.Log(context.Background(), level, fmt.Sprintf(f, a...), "component", "xds")
}
