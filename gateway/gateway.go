// Package gateway is certgate's local gateway: an HTTPS front that runs the
// compiled certgate filter in wasmtest VMs the way Envoy runs it (one VM per
// worker, shared data, the long-poll to the manager through
// proxy_http_call, ticks), in front of one backend. It lets `make run` show
// the whole product on machines without Envoy, and backs tests. It is not a
// production proxy: Envoy is (see envoy-config/).
package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certgate/certgate/shared"
	"github.com/certgate/certgate/wasmtest"
)

// Gateway is one running local gateway.
type Gateway struct {
	cfg            Config
	log            *slog.Logger
	host           *wasmtest.Host
	plugin         *wasmtest.Plugin
	backend        *url.URL
	stopEcho       func()
	transport      *http.Transport
	identityPrefix string
	tlsCert        tls.Certificate
	caPath         string

	srv  *http.Server
	ln   net.Listener
	next atomic.Uint64

	pumpStop context.CancelFunc
	pumpDone chan struct{}
	stopOnce sync.Once
}

// New loads the filter into a wasmtest host (cfg.Workers VMs) configured to
// long-poll cfg.Manager, prepares the backend (the echo backend when
// cfg.Backend is empty) and the server certificate. guestLogs receives the
// filter's own log lines (nil discards them). Call Start, then Shutdown.
func New(cfg Config, log *slog.Logger, guestLogs io.Writer) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(cfg.FilterWasm)
	if err != nil {
		return nil, fmt.Errorf("filter: %w (build it with `make build`)", err)
	}
	token, err := readToken(cfg.GatewayTokenFile, cfg.TokenWait)
	if err != nil {
		return nil, err
	}
	pluginCfg, prefix, err := pluginConfig(cfg, token)
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: log, identityPrefix: prefix}
	if g.tlsCert, g.caPath, err = serverCertificate(cfg, time.Now()); err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	backend := cfg.Backend
	if backend == "" {
		if backend, g.stopEcho, err = startEcho(prefix); err != nil {
			return nil, fmt.Errorf("echo backend: %w", err)
		}
	}
	if g.backend, err = url.Parse(backend); err != nil {
		g.close()
		return nil, err
	}
	g.transport = &http.Transport{
		Proxy:                 nil, // the backend is reached directly, never through $HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: cfg.UpstreamTimeout,
		DisableCompression:    true, // pass Content-Encoding through untouched
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}
	opts := wasmtest.HostOptions{Clusters: map[string]string{ManagerCluster: cfg.Manager}, LogLevel: guestLevel(cfg.LogLevel)}
	if guestLogs != nil {
		opts.LogSink = guestLogs
	}
	g.host = wasmtest.NewHost(opts)
	g.plugin, err = g.host.NewPlugin(context.Background(), wasmtest.PluginOptions{
		Name: "certgate", RootID: "certgate", VMID: "certgate", Config: pluginCfg, Wasm: wasm, Workers: cfg.Workers})
	if err != nil {
		g.close()
		return nil, fmt.Errorf("filter: %w", err)
	}
	return g, nil
}

// guestLevel maps the gateway's log level to Envoy's for the filter.
// Guest logs are kept in memory by wasmtest, so debug/trace need --log-level debug.
func guestLevel(level string) wasmtest.LogLevel {
	switch level {
	case "debug":
		return wasmtest.LogDebug
	case "info":
		return wasmtest.LogInfo
	case "error":
		return wasmtest.LogError
	}
	return wasmtest.LogWarn
}

// pluginConfig builds the filter's plugin configuration: the --plugin-config
// object (if any) with "sync" pointing at the manager cluster. It returns the
// identity header prefix the filter will use.
func pluginConfig(cfg Config, token string) ([]byte, string, error) {
	root := map[string]any{}
	if cfg.PluginConfig != "" {
		b, err := os.ReadFile(cfg.PluginConfig)
		if err != nil {
			return nil, "", fmt.Errorf("--plugin-config: %w", err)
		}
		if err := json.Unmarshal(b, &root); err != nil || root == nil {
			return nil, "", fmt.Errorf("--plugin-config %s: want a JSON object", cfg.PluginConfig)
		}
	}
	sync, _ := root["sync"].(map[string]any)
	if sync == nil {
		sync = map[string]any{}
	}
	sync["cluster"] = ManagerCluster
	sync["token"] = token
	sync["environment"] = cfg.Env
	if _, ok := sync["gatewayId"]; !ok && cfg.GatewayID != "" {
		sync["gatewayId"] = cfg.GatewayID
	}
	if _, ok := sync["tickMillis"]; !ok {
		sync["tickMillis"] = 200 // quick retry when the manager starts after the gateway
	}
	root["sync"] = sync
	prefix := shared.DefaultIdentityPrefix
	if p, ok := root["identityHeaderPrefix"].(string); ok && p != "" {
		prefix = strings.ToLower(p)
	}
	b, err := json.Marshal(root)
	return b, prefix, err
}

// Start listens on cfg.Listen, serves HTTPS and starts pumping the host
// (ticks, long-poll answers) in the background.
func (g *Gateway) Start() error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return err
	}
	g.ln = ln
	g.srv = &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{g.tlsCert},
			// Ask for a client certificate, accept any: the filter decides (Envoy's ACCEPT_UNTRUSTED).
			ClientAuth: tls.RequestClientCert,
			MinVersion: tls.VersionTLS12,
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.pumpStop, g.pumpDone = cancel, make(chan struct{})
	go g.pump(ctx)
	go func() {
		if err := g.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("gateway listener failed", "error", err.Error())
		}
	}()
	return nil
}

// pump delivers long-poll answers and fires ticks every 10 ms, and logs
// each newly applied manager version.
func (g *Gateway) pump(ctx context.Context) {
	defer close(g.pumpDone)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var applied uint64
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := g.host.Pump(); err != nil && err.Error() != lastErr {
			lastErr = err.Error()
			g.log.Error("filter VM failed", "error", lastErr)
		}
		if v := g.Applied(); v != applied {
			applied = v
			g.log.Info("filter data applied", "managerVersion", v)
		}
	}
}

// Applied is the manager config version the filter's shared data reflects (0 before the first sync).
func (g *Gateway) Applied() uint64 {
	v, _, ok := g.host.SharedData().Get(shared.KeySyncApplied)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(string(v), 10, 64)
	return n
}

// WaitApplied waits until the filter has applied manager version v.
func (g *Gateway) WaitApplied(ctx context.Context, v uint64) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for g.Applied() < v {
		select {
		case <-ctx.Done():
			return fmt.Errorf("gateway at manager version %d, want %d: %w", g.Applied(), v, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Addr is the listening address (after Start).
func (g *Gateway) Addr() string { return g.ln.Addr().String() }

// URL is the gateway's base URL (after Start).
func (g *Gateway) URL() string { return "https://" + g.Addr() }

// CAFile is the generated CA file clients trust ("" with --tls-cert).
func (g *Gateway) CAFile() string { return g.caPath }

// Backend is the upstream base URL.
func (g *Gateway) Backend() string { return g.backend.String() }

// Host exposes the wasmtest host (metrics, logs) for tests and diagnostics.
func (g *Gateway) Host() *wasmtest.Host { return g.host }

// Shutdown stops accepting connections, waits for in-flight requests
// (bounded by ctx), stops the pump and closes the VMs.
func (g *Gateway) Shutdown(ctx context.Context) error {
	var err error
	if g.srv != nil {
		err = g.srv.Shutdown(ctx)
	}
	g.close()
	return err
}

func (g *Gateway) close() {
	g.stopOnce.Do(func() {
		if g.pumpStop != nil {
			g.pumpStop()
			<-g.pumpDone
		}
		if g.host != nil {
			_ = g.host.Close()
		}
		if g.stopEcho != nil {
			g.stopEcho()
		}
		if g.transport != nil {
			g.transport.CloseIdleConnections()
		}
	})
}
