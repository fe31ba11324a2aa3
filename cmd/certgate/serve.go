package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/certgate/certgate/manager/server"
)

func init() {
	register(command{name: "serve", summary: "run the manager (REST API + store); see certgate serve --help", run: runServe})
}

func runServe(args []string, stdout, stderr io.Writer) int {
	cfg, err := server.ParseFlags(args, os.Getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "certgate serve:", err)
		return 2
	}
	log := server.NewLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.Run(ctx, cfg, log, stderr); err != nil {
		log.Error("manager failed", "error", err.Error())
		return 1
	}
	return 0
}
