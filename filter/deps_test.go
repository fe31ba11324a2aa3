package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPurePackagesStayApartFromTheSDK enforces the layout rule: the pure
// logic packages import neither the proxy-wasm SDK nor the plugin package,
// so they run and fuzz natively; only internal/plugin wires the SDK.
func TestPurePackagesStayApartFromTheSDK(t *testing.T) {
	pure := []string{"certheader", "hop", "jwt", "precedence", "route", "throttle", "x509lite"}
	for _, p := range pure {
		t.Run(p, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./internal/"+p).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if strings.Contains(dep, "proxy-wasm-go-sdk") || strings.HasSuffix(dep, "/internal/plugin") {
					t.Errorf("%s depends on %s", p, dep)
				}
				if !strings.HasPrefix(dep, "github.com/certgate/certgate/") && !strings.HasPrefix(dep, "github.com/tidwall/") {
					t.Errorf("%s depends on %s (only stdlib, shared and gjson are allowed)", p, dep)
				}
			}
		})
	}
}
