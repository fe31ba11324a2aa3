package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDispatch(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"ok/version", []string{"version"}, 0, "certgate dev", ""},
		{"ok/--version", []string{"--version"}, 0, "certgate dev", ""},
		{"ok/help", []string{"help"}, 0, "serve", ""},
		{"ok/help-serve", []string{"help", "serve"}, 0, "CERTGATE_DATA_DIR", ""},
		{"ok/serve-help", []string{"serve", "--help"}, 0, "CERTGATE_ADMIN_TOKEN_FILE", ""},
		{"fail/no-command", nil, 2, "", "Usage"},
		{"fail/unknown-command", []string{"frobnicate"}, 2, "", "unknown command"},
		{"fail/serve-bad-flag", []string{"serve", "--tls-cert", "x"}, 2, "", "go together"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := dispatch(c.args, &out, &errb)
			if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errb.String(), c.stderr) {
				t.Fatalf("code %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
			}
		})
	}
}
