package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/api"
	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/store/badgerstore"
)

// Server is a running (or ready to run) manager.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   *badgerstore.Store
	push    *gatewayPush
	metrics *api.Metrics
	http    *http.Server
	ln      net.Listener
	done    chan error
}

// Option customises New.
type Option func(*options)

type options struct {
	mount func(st domain.Store, root *gin.Engine, admin *gin.RouterGroup)
}

// WithRoutes mounts extra routes (see api.Config.Mount) that need the store.
func WithRoutes(mount func(st domain.Store, root *gin.Engine, admin *gin.RouterGroup)) Option {
	return func(o *options) { o.mount = mount }
}

// New opens the store and prepares the HTTP server; notice receives the
// one-time message of a newly generated admin token.
func New(cfg Config, log *slog.Logger, notice io.Writer, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	token, source, err := AdminToken(cfg, notice)
	if err != nil {
		return nil, err
	}
	gwToken, gwSource, err := GatewayToken(cfg, notice)
	if err != nil {
		return nil, err
	}
	if gwToken == token {
		return nil, errors.New("the gateway token must differ from the admin token")
	}
	encKey, err := badgerstore.LoadEncryptionKey(cfg.EncryptionKey, cfg.EncryptionKeyFile)
	if err != nil {
		return nil, err
	}
	st, err := badgerstore.OpenWithOptions(filepath.Join(cfg.DataDir, "badger"), badgerstore.Options{Logger: log, EncryptionKey: encKey})
	if err != nil {
		return nil, err
	}
	gp, err := newGatewayPush(st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	m := api.NewMetrics(st.ConfigVersion)
	ac := api.Config{Store: st, AdminToken: token, Logger: log, Metrics: m}
	ac.Mount = func(root *gin.Engine, admin *gin.RouterGroup) {
		gp.mount(root, admin, gwToken)
		if o.mount != nil {
			o.mount(st, root, admin)
		}
	}
	h := api.New(ac)
	log.Info("manager configured", "data_dir", cfg.DataDir, "admin_token_source", source, "gateway_token_source", gwSource, "encrypted_at_rest", encKey != nil,
		"config_version", st.ConfigVersion(), "tls", cfg.TLSCert != "")
	return &Server{
		cfg: cfg, log: log, store: st, push: gp, metrics: m,
		http: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}, nil
}

// Store is the manager's store (for components that read or watch it).
func (s *Server) Store() domain.Store { return s.store }

// XDSAddr is the xDS server's bound address ("" when disabled or before Start).
func (s *Server) XDSAddr() string {
	if s.push.xds == nil || s.push.xds.Addr() == nil {
		return ""
	}
	return s.push.xds.Addr().String()
}

// Metrics is the manager's Prometheus registry holder.
func (s *Server) Metrics() *api.Metrics { return s.metrics }

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	if err := s.push.start(s.cfg); err != nil {
		ln.Close()
		s.push.shutdown()
		return err
	}
	s.ln, s.done = ln, make(chan error, 1)
	go func() {
		var err error
		if s.cfg.TLSCert != "" {
			err = s.http.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			err = s.http.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("listening", "url", s.URL())
	return nil
}

// Addr is the bound address (after Start).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the REST API (after Start).
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + s.Addr() + api.BasePath
}

// Done reports the serve loop's exit (nil after a clean Shutdown).
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting requests, waits for in-flight ones until ctx
// ends, then closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.push.shutdown() // first: held long-polls answer, so Shutdown need not wait for them
	err := s.http.Shutdown(ctx)
	if s.done != nil {
		if serr := <-s.done; err == nil {
			err = serr
		}
	}
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// Run serves until ctx is cancelled (SIGINT/SIGTERM in the CLI), then shuts
// down gracefully.
func Run(ctx context.Context, cfg Config, log *slog.Logger, notice io.Writer) error {
	s, err := New(cfg, log, notice)
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		s.store.Close()
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx).Error())
	case serveErr = <-s.done:
		s.done <- serveErr // let Shutdown see it
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		return err
	}
	log.Info("stopped")
	return serveErr
}

// NewLogger returns the JSON slog logger for level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
