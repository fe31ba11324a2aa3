package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestGatewayCommand(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gateway-token")
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"ok/help", []string{"gateway", "--help"}, 0, "CERTGATE_GATEWAY_LISTEN", ""},
		{"ok/help-via-help", []string{"help", "gateway"}, 0, "--filter-wasm", ""},
		{"ok/listed", []string{"help"}, 0, "gateway", ""},
		{"fail/bad-workers", []string{"gateway", "--gateway-token-file", missing, "--workers", "0"}, 2, "", "--workers"},
		{"fail/no-token", []string{"gateway"}, 2, "", "--gateway-token-file"},
		{"fail/wasm-missing", []string{"gateway", "--gateway-token-file", missing, "--filter-wasm", "no-such.wasm"}, 1, "", "make build"},
		{"fail/token-file-missing", []string{"gateway", "--gateway-token-file", missing, "--token-wait", "0s", "--filter-wasm", "gateway_test.go"}, 1, "", "start the manager"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CERTGATE_GATEWAY_TOKEN_FILE", "")
			t.Setenv("CERTGATE_GATEWAY_MANAGER_DATA_DIR", "")
			var out, errb bytes.Buffer
			code := dispatch(c.args, &out, &errb)
			if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errb.String(), c.stderr) {
				t.Fatalf("code %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
			}
		})
	}
}
