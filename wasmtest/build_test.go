package wasmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

// TestMustReadBuild: a missing .wasm fails the test (never skips) and says
// how to build it; CERTGATE_BUILD_DIR is honoured.
func TestMustReadBuild(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CERTGATE_BUILD_DIR", dir)
	rec := &fatalRecorder{TB: t}
	if b := MustReadBuild(rec, "testfilters/absent.wasm"); b != nil || !strings.Contains(rec.msg, "missing: run `make wasm`") {
		t.Fatalf("missing file: data=%v fatal=%q", b, rec.msg)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.wasm"), []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := MustReadBuild(t, "x.wasm"); string(b) != "\x00asm" {
		t.Fatalf("read %q", b)
	}
}
