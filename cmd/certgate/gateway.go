package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/certgate/certgate/gateway"
)

func init() {
	register(command{name: "gateway", summary: "run a local HTTPS gateway with the filter in wasmtest (no Envoy needed); see certgate gateway --help", run: runGateway})
}

func runGateway(args []string, stdout, stderr io.Writer) int {
	cfg, err := gateway.ParseFlags(args, os.Getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "certgate gateway:", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slogLevel(cfg.LogLevel)}))
	g, err := gateway.New(cfg, log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "certgate gateway:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := g.Start(); err != nil {
		_ = g.Shutdown(context.Background())
		fmt.Fprintln(stderr, "certgate gateway:", err)
		return 1
	}
	fmt.Fprintf(stdout, "certgate gateway  %s   (filter: %s, %d workers, environment %s)\n", g.URL(), cfg.FilterWasm, cfg.Workers, cfg.Env)
	fmt.Fprintf(stdout, "manager           %s\n", cfg.Manager)
	fmt.Fprintf(stdout, "backend           %s\n", g.Backend())
	if ca := g.CAFile(); ca != "" {
		fmt.Fprintf(stdout, "CA (curl --cacert) %s\n", ca)
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Shutdown(sctx); err != nil {
		log.Error("gateway shutdown", "error", err.Error())
		return 1
	}
	return 0
}

func slogLevel(s string) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(s))
	return l
}
