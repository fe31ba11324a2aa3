package wasmtest

import (
	"os"
	"path/filepath"
	"testing"
)

// BuildDir returns the directory holding build outputs: $CERTGATE_BUILD_DIR,
// or <repository root>/build where the root is found by walking up from the
// working directory to the first go.mod that declares the root module.
func BuildDir() string {
	if d := os.Getenv("CERTGATE_BUILD_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return "build"
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isRootModule(b) {
			return filepath.Join(dir, "build")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "build"
		}
		dir = parent
	}
}

func isRootModule(gomod []byte) bool {
	const want = "module github.com/certgate/certgate\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// MustReadBuild reads BuildDir()/rel (e.g. "certgate-filter.wasm",
// "testfilters/noop.wasm"). A missing file fails the test — wasm tests fail,
// they never skip.
func MustReadBuild(tb testing.TB, rel string) []byte {
	tb.Helper()
	p := filepath.Join(BuildDir(), filepath.FromSlash(rel))
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatalf("wasmtest: %s missing: run `make wasm` (%v)", p, err)
	}
	return b
}
