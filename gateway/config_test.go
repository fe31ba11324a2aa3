package gateway

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{"XDG_DATA_HOME": "/xdg"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name  string
		args  []string
		env   func(string) string
		check func(t *testing.T, c Config)
		err   string
	}{
		{name: "ok/defaults-with-manager-data-dir", args: []string{"--manager-data-dir", "/m"}, env: env(), check: func(t *testing.T, c Config) {
			if c.Listen != DefaultListen || c.Manager != DefaultManager || c.Workers != 2 || c.FilterWasm != DefaultFilterWasm ||
				c.GatewayTokenFile != filepath.Join("/m", "gateway-token") || c.DataDir != "/xdg/certgate-gateway" ||
				c.MaxBodyBytes != 1<<20 || c.UpstreamTimeout != 30*time.Second || c.Env != "Default" || c.Backend != "" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "ok/env-twins", args: nil, env: env("CERTGATE_GATEWAY_LISTEN", "127.0.0.1:9000", "CERTGATE_GATEWAY_TOKEN_FILE", "/t",
			"CERTGATE_GATEWAY_WORKERS", "4", "CERTGATE_GATEWAY_BACKEND", "http://127.0.0.1:8080/base", "CERTGATE_GATEWAY_ENV", "Staging"),
			check: func(t *testing.T, c Config) {
				if c.Listen != "127.0.0.1:9000" || c.GatewayTokenFile != "/t" || c.Workers != 4 || c.Backend != "http://127.0.0.1:8080/base" || c.Env != "Staging" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "ok/flag-beats-env", args: []string{"--workers", "3", "--gateway-token-file", "/flag"},
			env: env("CERTGATE_GATEWAY_WORKERS", "4", "CERTGATE_GATEWAY_TOKEN_FILE", "/env"), check: func(t *testing.T, c Config) {
				if c.Workers != 3 || c.GatewayTokenFile != "/flag" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "ok/explicit-token-file-beats-manager-data-dir", args: []string{"--manager-data-dir", "/m", "--gateway-token-file", "/t"}, env: env(),
			check: func(t *testing.T, c Config) {
				if c.GatewayTokenFile != "/t" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "fail/no-token-file", args: nil, env: env(), err: "--gateway-token-file"},
		{name: "fail/workers-zero", args: []string{"--manager-data-dir", "/m", "--workers", "0"}, env: env(), err: "--workers"},
		{name: "fail/workers-text", args: []string{"--manager-data-dir", "/m", "--workers", "two"}, env: env(), err: "--workers"},
		{name: "fail/tls-cert-alone", args: []string{"--manager-data-dir", "/m", "--tls-cert", "c.pem"}, env: env(), err: "go together"},
		{name: "fail/manager-not-url", args: []string{"--manager-data-dir", "/m", "--manager", "127.0.0.1:9443"}, env: env(), err: "--manager"},
		{name: "fail/backend-not-url", args: []string{"--manager-data-dir", "/m", "--backend", "ftp://x"}, env: env(), err: "--backend"},
		{name: "fail/bad-timeout", args: []string{"--manager-data-dir", "/m", "--upstream-timeout", "soon"}, env: env(), err: "--upstream-timeout"},
		{name: "fail/bad-body-limit", args: []string{"--manager-data-dir", "/m", "--max-body-bytes", "-1"}, env: env(), err: "--max-body-bytes"},
		{name: "fail/bad-log-level", args: []string{"--manager-data-dir", "/m", "--log-level", "loud"}, env: env(), err: "--log-level"},
		{name: "fail/extra-argument", args: []string{"--manager-data-dir", "/m", "extra"}, env: env(), err: "unexpected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := ParseFlags(tc.args, tc.env, &out)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseFlags([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"--listen", "CERTGATE_GATEWAY_LISTEN", "--backend", "CERTGATE_GATEWAY_BACKEND", "--filter-wasm", "--workers", "--gateway-token-file", "--manager-data-dir", "--env"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPluginConfig(t *testing.T) {
	cfg := Config{Env: "Staging", GatewayID: "gw1"}
	b, prefix, err := pluginConfig(cfg, "tok")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sync":{"cluster":"certgate-manager","environment":"Staging","gatewayId":"gw1","tickMillis":200,"token":"tok"}}`
	if string(b) != want || prefix != "x-certgate-" {
		t.Fatalf("%s %q", b, prefix)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "p.json")
	writeFile(t, file, `{"identityHeaderPrefix":"X-Id-","sync":{"tickMillis":50,"token":"ignored"}}`)
	cfg.PluginConfig = file
	b, prefix, err = pluginConfig(cfg, "tok")
	if err != nil {
		t.Fatal(err)
	}
	want = `{"identityHeaderPrefix":"X-Id-","sync":{"cluster":"certgate-manager","environment":"Staging","gatewayId":"gw1","tickMillis":50,"token":"tok"}}`
	if string(b) != want || prefix != "x-id-" {
		t.Fatalf("%s %q", b, prefix)
	}
	writeFile(t, file, `[1,2]`)
	if _, _, err := pluginConfig(cfg, "tok"); err == nil {
		t.Fatal("a JSON array was accepted as plugin configuration")
	}
}
