package filtertest

import (
	"context"
	"testing"

	"github.com/certgate/certgate/wasmtest"
)

// TestInvalidConfigFailsStart: an invalid configuration is logged as
// critical and fails the plugin start (Envoy rejects the filter).
func TestInvalidConfigFailsStart(t *testing.T) {
	cases := map[string]string{
		"not-json":      `{"certificateHeader":`,
		"unknown-field": `{"certHeader": "x"}`,
		"bad-cidr":      `{"trustedHops": {"cidrs": ["300.0.0.0/8"]}}`,
		"bad-fail-mode": `{"failMode": "maybe"}`,
		"bad-sync":      `{"sync": {"pollPath": "no-slash"}}`,
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			host := wasmtest.NewHost(wasmtest.HostOptions{})
			defer host.Close()
			_, err := host.NewPlugin(context.Background(), wasmtest.PluginOptions{Name: "certgate", RootID: "certgate",
				Config: []byte(cfg), Wasm: filterWasm(t)})
			if err == nil {
				t.Fatal("plugin started with an invalid configuration")
			}
			if !contains(host.Logs(wasmtest.LogCritical), "invalid plugin configuration") {
				t.Fatalf("no critical log: %v", host.Logs(wasmtest.LogCritical))
			}
		})
	}
}
