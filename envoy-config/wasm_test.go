package envoyconfig

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/certgate/certgate/wasmtest"
)

// pluginConfigsShipped returns every plugin configuration this folder ships
// or generates, by name.
func pluginConfigsShipped(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range shippedBootstraps(t) {
		sum, err := ValidateBootstrap(readFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sum.PluginConfigs {
			out[f] = []byte(c)
		}
	}
	gen, err := GenerateBootstrap(BootstrapOptions{Manager: "127.0.0.1:9443", Environment: "Prod"})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ValidateBootstrap(gen)
	if err != nil {
		t.Fatal(err)
	}
	out["generated"] = []byte(sum.PluginConfigs[0])
	istio, err := json.Marshal(istioObjects(t)["WasmPlugin"][0].Spec["pluginConfig"])
	if err != nil {
		t.Fatal(err)
	}
	out["istio/wasmplugin.yaml"] = istio
	return out
}

// The compiled filter starts with every plugin configuration we ship: its
// own parser accepts them (run `make wasm` first; the test fails, never
// skips, without build/certgate-filter.wasm).
func TestPluginConfigStartsFilter(t *testing.T) {
	wasm := wasmtest.MustReadBuild(t, "certgate-filter.wasm")
	manager := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer manager.Close()

	start := func(t *testing.T, config []byte) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		host := wasmtest.NewHost(wasmtest.HostOptions{Clusters: map[string]string{
			ManagerCluster: manager.URL,
			// Istio's name for the manager cluster in istio/wasmplugin.yaml.
			"outbound|9443||certgate-manager.certgate-system.svc.cluster.local": manager.URL,
		}})
		defer host.Close()
		_, err := host.NewPlugin(ctx, wasmtest.PluginOptions{
			Name: PluginRootID, RootID: PluginRootID, VMID: DefaultVMID,
			Config: config, Wasm: wasm, Workers: 2,
		})
		return err
	}
	for name, cfg := range pluginConfigsShipped(t) {
		t.Run("ok/"+name, func(t *testing.T) {
			if err := start(t, cfg); err != nil {
				t.Fatalf("the filter rejects the plugin configuration %s: %v", cfg, err)
			}
		})
	}
	t.Run("fail/unknown-field", func(t *testing.T) {
		// The filter's parser is strict: a drifted field name is caught here.
		if err := start(t, []byte(`{"managerCluster":"certgate-manager"}`)); err == nil {
			t.Fatal("the filter started with an unknown field")
		}
	})
	t.Run("fail/not-json", func(t *testing.T) {
		if err := start(t, []byte("environment=Default")); err == nil {
			t.Fatal("the filter started with a configuration that is not JSON: this test could not catch a bad one")
		}
	})
}
