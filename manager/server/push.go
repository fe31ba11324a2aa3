package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/push"
	"github.com/certgate/certgate/manager/xds"
)

// gatewayPush is the config path to gateways: the filter snapshots served
// over the long-poll, the registry of polling gateways, and the xDS server
// fed from the same published state.
type gatewayPush struct {
	log  *slog.Logger
	pub  *push.Publisher
	gws  *push.Gateways
	xds  *xds.Server // nil when --xds-listen=off
	stop context.CancelFunc
	wg   sync.WaitGroup
}

func newGatewayPush(st domain.Store, log *slog.Logger) (*gatewayPush, error) {
	ctx, cancel := context.WithCancel(context.Background())
	pub, err := push.NewPublisher(ctx, st, log)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("building gateway snapshots: %w", err)
	}
	return &gatewayPush{log: log, pub: pub, gws: push.NewGateways(), stop: cancel}, nil
}

// mount adds the long-poll (gateway token) and the gateways view (admin).
func (g *gatewayPush) mount(root *gin.Engine, admin *gin.RouterGroup, gatewayToken string) {
	root.GET(push.SnapshotPath, push.GatewayAuth(gatewayToken), push.LongPoll(g.pub, g.gws))
	admin.GET("/gateways", push.ListGateways(g.pub, g.gws, g.nodes))
}

// start runs the publisher and, unless disabled, the xDS server and the
// loop that feeds it every published version.
func (g *gatewayPush) start(cfg Config) error {
	ctx, cancel := context.WithCancel(context.Background())
	prev := g.stop
	g.stop = func() { cancel(); prev() }
	g.wg.Add(1)
	go func() { defer g.wg.Done(); g.pub.Run(ctx) }()
	if cfg.XDSListen == "" || cfg.XDSListen == "off" {
		return nil
	}
	tlsCfg, err := xdsTLS(cfg)
	if err != nil {
		return err
	}
	g.xds = xds.NewServer(ctx, xds.Options{Logger: g.log})
	if err := g.feedXDS(); err != nil { // the first snapshot before any gateway connects
		return err
	}
	if err := g.xds.Start(ctx, cfg.XDSListen, tlsCfg); err != nil {
		return fmt.Errorf("xds: %w", err)
	}
	g.log.Info("xds listening", "addr", g.xds.Addr().String(), "tls", tlsCfg != nil, "mtls", cfg.XDSTLSClientCA != "")
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			_, ch := g.pub.Watch()
			if err := g.feedXDS(); err != nil {
				g.log.Error("xds: snapshot update failed; gateways keep the previous one", "err", err)
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// feedXDS pushes the publisher's current state to every environment.
func (g *gatewayPush) feedXDS() error {
	state, envs := g.pub.State()
	var errs []error
	for _, env := range envs {
		e, err := push.XDSEnvironment(state, env)
		if err == nil {
			err = g.xds.Update(e, state.Version)
		}
		if err != nil && !errors.Is(err, xds.ErrStaleVersion) {
			errs = append(errs, fmt.Errorf("environment %s: %w", env, err))
		}
	}
	return errors.Join(errs...)
}

// nodes lists the xDS gateways (none when xDS is off).
func (g *gatewayPush) nodes() []xds.NodeStatus {
	if g.xds == nil {
		return nil
	}
	return g.xds.Nodes()
}

func (g *gatewayPush) shutdown() {
	g.stop()
	if g.xds != nil {
		g.xds.Stop()
	}
	g.wg.Wait()
}

func xdsTLS(cfg Config) (*tls.Config, error) {
	if cfg.XDSTLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.XDSTLSCert, cfg.XDSTLSKey)
	if err != nil {
		return nil, fmt.Errorf("--xds-tls-cert/--xds-tls-key: %w", err)
	}
	t := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.XDSTLSClientCA != "" {
		pemBytes, err := os.ReadFile(cfg.XDSTLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("--xds-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("--xds-client-ca: no PEM certificate in %s", cfg.XDSTLSClientCA)
		}
		t.ClientCAs, t.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return t, nil
}
