package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	envoyconfig "github.com/certgate/certgate/envoy-config"
)

func TestRunEnvoyBootstrap(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "plugin.json")
	if err := os.WriteFile(plugin, []byte(`{"sync":{"cluster":"certgate-manager","environment":"Prod"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "gateway-token")
	if err := os.WriteFile(token, []byte("gw-secret-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		want    []string // substrings of the output
	}{
		{name: "ok/minimal", args: []string{"--manager", "10.0.0.5:9443"},
			want: []string{"certgate-client-truststore", "10.0.0.5", "port_value: 18000", "vm_id: certgate"}},
		{name: "ok/full", args: []string{"--env", "Prod", "--manager", "mgr.internal:9443", "--xds", "xds.internal:18001",
			"--route", "/pizzashack/1.0.0/=pizza=/api/", "--route", "/menu/=menu", "--plugin-config", plugin,
			"--xds-ca", "/etc/ca.pem", "--xds-cert", "/etc/c.pem", "--xds-key", "/etc/k.pem", "--listen", "0.0.0.0:443"},
			want: []string{"certgate_env: Prod", "certgate-backend-pizza", "prefix_rewrite: /api/", "xds.internal", "port_value: 443", "h2"}},
		{name: "ok/gateway-token", args: []string{"--manager", "m:1", "--gateway-token-file", token},
			want: []string{`"token":"gw-secret-0123456789"`}},
		{name: "fail/gateway-token-missing", args: []string{"--manager", "m:1", "--gateway-token-file", filepath.Join(dir, "nope")}, wantErr: "no such file"},
		{name: "ok/help", args: []string{"--help"}, want: []string{"Usage: certgate envoy-bootstrap", "-manager"}},
		{name: "fail/no-manager", args: nil, wantErr: "manager address"},
		{name: "fail/bad-route", args: []string{"--manager", "m:1", "--route", "pizza"}, wantErr: "want /PREFIX=BACKEND"},
		{name: "fail/half-mtls", args: []string{"--manager", "m:1", "--xds-ca", "ca", "--xds-cert", "c"}, wantErr: "goes with its key"},
		{name: "fail/plugin-file-missing", args: []string{"--manager", "m:1", "--plugin-config", filepath.Join(dir, "missing.json")}, wantErr: "no such file"},
		{name: "fail/extra-arg", args: []string{"--manager", "m:1", "oops"}, wantErr: "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runEnvoyBootstrap(tc.args, &out, &errOut)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (stderr %s)", err, errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Fatalf("output lacks %q:\n%s", w, out.String())
				}
			}
			if tc.name != "ok/help" {
				if _, err := envoyconfig.ValidateBootstrap(out.Bytes()); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestRunEnvoyBootstrapOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := runEnvoyBootstrap([]string{"--manager", "127.0.0.1:9443", "--output", path}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envoyconfig.ValidateBootstrap(b); err != nil {
		t.Fatal(err)
	}
}
