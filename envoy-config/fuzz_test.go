package envoyconfig

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidateBootstrap: any input is rejected or accepted, never a panic.
func FuzzValidateBootstrap(f *testing.F) {
	files, _ := filepath.Glob("*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("static_resources: {listeners: [{name: x}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := ValidateBootstrap(data)
		if err == nil && sum.Bootstrap == nil {
			t.Fatal("accepted without a bootstrap")
		}
	})
}
