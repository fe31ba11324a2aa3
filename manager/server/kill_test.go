package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/server"
)

const childToken = "child-admin-token-0123456789"

// TestMain doubles as the manager process of TestKillNine: with
// CERTGATE_TEST_CHILD set, the test binary runs the server like
// "certgate serve" does (signal-driven graceful shutdown).
func TestMain(m *testing.M) {
	if dir := os.Getenv("CERTGATE_TEST_CHILD"); dir != "" {
		cfg := server.Config{Listen: os.Getenv("CERTGATE_TEST_LISTEN"), DataDir: dir, AdminToken: childToken,
			LogLevel: "error", ShutdownTimeout: 5 * time.Second}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := server.Run(ctx, cfg, server.NewLogger(os.Stderr, "error"), io.Discard); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CERTGATE_TEST_CHILD="+dir, "CERTGATE_TEST_LISTEN="+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, base + "/api/am/publisher/v4"
			}
		}
	}
	cmd.Process.Kill()
	t.Fatal("child manager did not become ready")
	return nil, ""
}

func call(method, url, ct string, body []byte) (int, []byte, error) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+childToken)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestKillNine: every upload acknowledged with a 2xx before the manager is
// SIGKILLed is there after a restart (synchronous Badger writes); then a
// SIGTERM shuts the manager down gracefully with exit status 0.
func TestKillNine(t *testing.T) {
	dir := t.TempDir()
	cmd, url := startChild(t, dir)
	st, body, err := call("POST", url+"/apis", "application/json", []byte(`{"name":"Durable","version":"1","context":"/durable",
		"securityScheme":["mutualssl"],"endpointConfig":{"production_endpoints":{"url":"http://127.0.0.1:1"}}}`))
	if err != nil || st != 201 {
		t.Fatalf("create API: %d %s %v", st, body, err)
	}
	var a struct{ ID string }
	json.Unmarshal(body, &a)

	// Upload from 4 writers until 40 are acknowledged, then SIGKILL mid-stream.
	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				alias := fmt.Sprintf("w%d-%04d", w, i)
				c := testcerts.New(testcerts.Spec{CommonName: alias})
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				mw.WriteField("alias", alias)
				mw.WriteField("tier", "Gold")
				fw, _ := mw.CreateFormFile("certificate", alias+".crt")
				fw.Write(testcerts.PEM(c.Cert.Raw))
				mw.Close()
				st, _, err := call("POST", url+"/apis/"+a.ID+"/client-certificates", mw.FormDataContentType(), buf.Bytes())
				if err != nil {
					return // the manager is gone
				}
				if st == 200 {
					mu.Lock()
					acked[alias] = true
					mu.Unlock()
				}
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()

	cmd, url = startChild(t, dir)
	st, body, err = call("GET", url+"/apis/"+a.ID+"/client-certificates?limit=1000", "", nil)
	if err != nil || st != 200 {
		t.Fatalf("list after restart: %d %v", st, err)
	}
	var list struct {
		Certificates []struct{ Alias string }
	}
	json.Unmarshal(body, &list)
	present := map[string]bool{}
	for _, c := range list.Certificates {
		present[c.Alias] = true
	}
	for alias := range acked {
		if !present[alias] {
			t.Errorf("acknowledged upload %s lost after kill -9", alias)
		}
	}
	t.Logf("%d uploads acknowledged before SIGKILL, %d present after restart", len(acked), len(present))

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graceful shutdown on SIGTERM: %v", err)
	}
}
