package envflag

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestEnvTwinAndFlagPrecedence(t *testing.T) {
	var a, b, c string
	specs := []Spec{
		{Name: "a", Env: "X_A", Default: "da", Target: &a},
		{Name: "b", Env: "X_B", Default: "db", Target: &b},
		{Name: "c", Env: "X_C", Default: "dc", Target: &c, Secret: true},
	}
	env := map[string]string{"X_B": "eb", "X_C": "ec"}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Register(fs, specs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"-c", "fc"}); err != nil {
		t.Fatal(err)
	}
	if a != "da" || b != "eb" || c != "fc" {
		t.Fatalf("default/env/flag precedence: a=%q b=%q c=%q", a, b, c)
	}
	var out bytes.Buffer
	PrintUsage(&out, specs)
	if !strings.Contains(out.String(), "env X_A, default da") || strings.Contains(out.String(), "dc") || !strings.Contains(out.String(), "default (hidden)") {
		t.Fatalf("usage:\n%s", out.String())
	}
}
