package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImports keeps the domain free of transport and storage: it may
// not depend on Gin, Badger, Prometheus or the xDS libraries.
func TestDomainImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"github.com/gin-gonic/", "github.com/dgraph-io/", "github.com/prometheus/", "github.com/envoyproxy/", "net/http"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("manager/domain depends on %s", dep)
			}
		}
	}
}
