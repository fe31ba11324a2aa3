package server

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     func(string) string
		want    func(Config) bool
		wantErr string
	}{
		{"ok/defaults", nil, env("XDG_DATA_HOME", "/xdg"), func(c Config) bool {
			return c.Listen == DefaultListen && c.DataDir == "/xdg/certgate" && c.ShutdownTimeout == 10*time.Second && c.LogLevel == "info"
		}, ""},
		{"ok/env", nil, env("CERTGATE_LISTEN", ":1", "CERTGATE_DATA_DIR", "/d", "CERTGATE_ADMIN_TOKEN_FILE", "/t", "CERTGATE_TLS_CERT", "c", "CERTGATE_TLS_KEY", "k"), func(c Config) bool {
			return c.Listen == ":1" && c.DataDir == "/d" && c.AdminTokenFile == "/t" && c.TLSCert == "c" && c.TLSKey == "k"
		}, ""},
		{"ok/flag-beats-env", []string{"--listen", ":2", "--admin-token", "0123456789abcdef"}, env("CERTGATE_LISTEN", ":1"), func(c Config) bool {
			return c.Listen == ":2" && c.AdminToken == "0123456789abcdef"
		}, ""},
		{"fail/tls-cert-without-key", []string{"--tls-cert", "c"}, env(), nil, "go together"},
		{"fail/token-and-token-file", []string{"--admin-token", "x", "--admin-token-file", "y"}, env(), nil, "not both"},
		{"fail/bad-log-level", []string{"--log-level", "loud"}, env(), nil, "log-level"},
		{"fail/bad-shutdown-timeout", []string{"--shutdown-timeout", "soon"}, env(), nil, "shutdown-timeout"},
		{"fail/extra-argument", []string{"now"}, env(), nil, "unexpected"},
		{"fail/unknown-flag", []string{"--port", "1"}, env(), nil, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseFlags(c.args, c.env, &bytes.Buffer{})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || !c.want(cfg) {
				t.Fatalf("cfg %+v err %v", cfg, err)
			}
		})
	}
}

// TestServeHelpDocumentsEveryFlag: --help lists each flag with its env var.
func TestServeHelpDocumentsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if _, err := ParseFlags([]string{"--help"}, env("CERTGATE_ADMIN_TOKEN", "supersecret-token-value"), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, s := range []string{"--listen", "CERTGATE_LISTEN", "--data-dir", "CERTGATE_DATA_DIR", "--admin-token ", "CERTGATE_ADMIN_TOKEN",
		"--admin-token-file", "CERTGATE_ADMIN_TOKEN_FILE", "--tls-cert", "CERTGATE_TLS_CERT", "--tls-key", "CERTGATE_TLS_KEY",
		"--log-level", "CERTGATE_LOG_LEVEL", "--shutdown-timeout", "CERTGATE_SHUTDOWN_TIMEOUT", "127.0.0.1:9443"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("help lacks %q", s)
		}
	}
	if strings.Contains(out.String(), "supersecret") {
		t.Error("help shows the admin token from the environment")
	}
}

func TestAdminToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	os.WriteFile(file, []byte("  file-token-0123456789\n"), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc"), 0o600)
	cases := []struct {
		name, want, wantErr string
		cfg                 Config
		printed             bool
	}{
		{name: "ok/flag", cfg: Config{AdminToken: "flag-token-0123456789", DataDir: dir}, want: "flag-token-0123456789"},
		{name: "ok/file-trimmed", cfg: Config{AdminTokenFile: file, DataDir: dir}, want: "file-token-0123456789"},
		{name: "ok/generated", cfg: Config{DataDir: t.TempDir()}, printed: true},
		{name: "fail/short-flag", cfg: Config{AdminToken: "short", DataDir: dir}, wantErr: "at least"},
		{name: "fail/short-file", cfg: Config{AdminTokenFile: short, DataDir: dir}, wantErr: "at least"},
		{name: "fail/missing-file", cfg: Config{AdminTokenFile: filepath.Join(dir, "nope"), DataDir: dir}, wantErr: "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var notice bytes.Buffer
			tok, _, err := AdminToken(c.cfg, &notice)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && tok != c.want {
				t.Fatalf("token %q, want %q", tok, c.want)
			}
			if c.printed != strings.Contains(notice.String(), tok) {
				t.Fatalf("printed=%v, notice %q", c.printed, notice.String())
			}
			if c.printed {
				// Second start: same token from the file, nothing printed.
				notice.Reset()
				again, _, err := AdminToken(c.cfg, &notice)
				if err != nil || again != tok || notice.Len() != 0 {
					t.Fatalf("second start: %q %v %q", again, err, notice.String())
				}
				fi, _ := os.Stat(filepath.Join(c.cfg.DataDir, TokenFileName))
				if fi.Mode().Perm() != 0o600 || len(tok) != 64 {
					t.Fatalf("mode %v len %d", fi.Mode().Perm(), len(tok))
				}
			}
		})
	}
}
