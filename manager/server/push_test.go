package server_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/push"
	"github.com/certgate/certgate/manager/server"
	"github.com/certgate/certgate/shared"
)

func TestGatewayPushWiring(t *testing.T) {
	dir := t.TempDir()
	var notice bytes.Buffer
	cfg := server.Config{Listen: "127.0.0.1:0", DataDir: dir, XDSListen: "127.0.0.1:0", LogLevel: "info", ShutdownTimeout: 5 * time.Second}
	s, err := server.New(cfg, server.NewLogger(io.Discard, "info"), &notice)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Shutdown(t.Context())
		}
	}()
	if s.XDSAddr() == "" {
		t.Fatal("xDS server not started")
	}
	gw, err := os.ReadFile(filepath.Join(dir, server.GatewayTokenFileName))
	if err != nil {
		t.Fatal(err)
	}
	gwToken := strings.TrimSpace(string(gw))
	if !strings.Contains(notice.String(), gwToken) {
		t.Fatal("generated gateway token not announced")
	}
	base := strings.TrimSuffix(s.URL(), "/api/am/publisher/v4")
	get := func(token, query string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+push.SnapshotPath+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get(gwToken, "?since=0")
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d, err := shared.DecodeDelta(body)
	if res.StatusCode != 200 || err != nil || !d.Full {
		t.Fatalf("long-poll: %d %v", res.StatusCode, err)
	}
	// The tier records are in every snapshot (the seeded WSO2 tiers).
	found := false
	for _, w := range d.Writes {
		found = found || w.Key == shared.KeyTier("Gold")
	}
	if !found {
		t.Fatal("the full snapshot lacks the seeded Gold tier")
	}

	// A held long-poll does not hold up shutdown.
	held := make(chan int, 1)
	go func() {
		r := get(gwToken, "?wait=60&since="+res.Header.Get(push.VersionHeader))
		r.Body.Close()
		held <- r.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("shutdown waited %v for a held long-poll", took)
	}
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("held long-poll never answered")
	}
}

func TestGatewayTokenMustDifferFromAdminToken(t *testing.T) {
	cfg := server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "info",
		AdminToken: "same-token-0123456789", GatewayToken: "same-token-0123456789"}
	if _, err := server.New(cfg, server.NewLogger(io.Discard, "info"), io.Discard); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("want a refusal, got %v", err)
	}
}
