// Package layout holds tests that keep the repository's dependency rules true:
// the filter links only what TinyGo and Envoy can carry, shared/ stays stdlib
// only, and the manager's domain stays free of transport and storage packages.
package layout

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// filterAllowlist is every non-standard package the filter may link.
var filterAllowlist = []string{
	"github.com/certgate/certgate/filter", // its own packages (prefix)
	"github.com/certgate/certgate/shared", // the contract (prefix)
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm",
	"github.com/tidwall/gjson",
	"github.com/tidwall/match",  // gjson's own dependency
	"github.com/tidwall/pretty", // gjson's own dependency
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// nonStdDeps lists the non-standard packages linked by pkgs, as go list sees
// them with the filter's build constraints (GOOS=wasip1, tag tinygo).
func nonStdDeps(t *testing.T, dir string, tags string, pkgs ...string) []string {
	t.Helper()
	args := []string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v\n%s", dir, err, stderr.String())
	}
	var deps []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			deps = append(deps, l)
		}
	}
	sort.Strings(deps)
	return deps
}

func allowed(pkg string, allow []string) bool {
	for _, a := range allow {
		if pkg == a || strings.HasPrefix(pkg, a+"/") {
			return true
		}
	}
	return false
}

func TestFilterImportsOnlyAllowlist(t *testing.T) {
	deps := nonStdDeps(t, filepath.Join(repoRoot(t), "filter"), "tinygo", "./...")
	if len(deps) == 0 {
		t.Fatal("go list found no packages in filter/")
	}
	for _, d := range deps {
		if !allowed(d, filterAllowlist) {
			t.Errorf("filter links %s, which is not on the allowlist %v", d, filterAllowlist)
		}
	}
}

func TestSharedIsStdlibOnly(t *testing.T) {
	deps := nonStdDeps(t, filepath.Join(repoRoot(t), "shared"), "tinygo", "./...")
	for _, d := range deps {
		if !allowed(d, []string{"github.com/certgate/certgate/shared"}) {
			t.Errorf("shared links non-standard package %s", d)
		}
	}
}

func TestAllowlistCheckCatchesForeignImport(t *testing.T) {
	if allowed("github.com/tidwall/gjsonx", filterAllowlist) {
		t.Error("prefix match must stop at a path boundary")
	}
	if allowed("github.com/gin-gonic/gin", filterAllowlist) {
		t.Error("gin must not be allowed in the filter")
	}
	if !allowed("github.com/certgate/certgate/filter/internal/plugin", filterAllowlist) {
		t.Error("the filter's own packages must be allowed")
	}
}
