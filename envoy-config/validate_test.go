package envoyconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"

	"github.com/certgate/certgate/manager/xds"
)

// shippedBootstraps are the bootstrap files of this folder.
func shippedBootstraps(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("expected the shipped bootstraps, found %v", files)
	}
	return files
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShippedBootstraps(t *testing.T) {
	for _, f := range shippedBootstraps(t) {
		t.Run(f, func(t *testing.T) {
			sum, err := ValidateBootstrap(readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if sum.VMID != DefaultVMID || len(sum.PluginConfigs) != 1 {
				t.Fatalf("vm_id %q, %d certgate filters", sum.VMID, len(sum.PluginConfigs))
			}
		})
	}
	sum, err := ValidateBootstrap(readFile(t, "gateway-bootstrap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sum.ADSSecrets, []string{xds.ClientTruststoreSecret}) {
		t.Fatalf("the gateway asks the manager for %v, want exactly %q", sum.ADSSecrets, xds.ClientTruststoreSecret)
	}
	if !slices.Equal(sum.RouteClusters, []string{xds.BackendClusterName("pizzashack")}) {
		t.Fatalf("route clusters %v", sum.RouteClusters)
	}
}

// The shipped gateway bootstrap is exactly what the generator produces.
func TestShippedGatewayEqualsGenerated(t *testing.T) {
	var shipped bootstrapv3.Bootstrap
	if err := ParseYAML(readFile(t, "gateway-bootstrap.yaml"), &shipped); err != nil {
		t.Fatal(err)
	}
	gen, err := GenerateBootstrap(BootstrapOptions{
		Manager: "certgate-manager:9443",
		Routes:  []Route{{Prefix: "/pizzashack/1.0.0/", Backend: "pizzashack", PrefixRewrite: "/"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var generated bootstrapv3.Bootstrap
	if err := ParseYAML(gen, &generated); err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(&shipped, &generated); diff != "" {
		t.Fatalf("gateway-bootstrap.yaml differs from the generated bootstrap:\n%s", diff)
	}
}

func TestGenerateBootstrap(t *testing.T) {
	tests := []struct {
		name    string
		opts    BootstrapOptions
		wantErr string
		check   func(t *testing.T, s *Summary)
	}{
		{name: "ok/defaults", opts: BootstrapOptions{Manager: "127.0.0.1:9443"}, check: func(t *testing.T, s *Summary) {
			b := s.Bootstrap
			if b.GetNode().GetCluster() != xds.DefaultEnvironment || b.GetAdmin().GetAddress().GetSocketAddress().GetAddress() != "127.0.0.1" {
				t.Fatalf("node %v admin %v", b.GetNode(), b.GetAdmin())
			}
			if xds.EnvironmentOf(b.GetNode()) != xds.DefaultEnvironment {
				t.Fatal("the manager would map this node elsewhere")
			}
			xdsAddr := b.GetStaticResources().GetClusters()[0].GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
			if xdsAddr.GetAddress() != "127.0.0.1" || xdsAddr.GetPortValue() != DefaultXDSPort {
				t.Fatalf("xds address %v", xdsAddr)
			}
		}},
		{name: "ok/env-routes-tls", opts: BootstrapOptions{
			Environment: "Prod", NodeID: "gw-eu-1", Manager: "mgr.example:443", XDS: "xds.example:8443", Listen: "[::]:443",
			XDSTLS:     &UpstreamTLSFiles{CAFile: "/ca.pem", CertFile: "/c.pem", KeyFile: "/k.pem"},
			ManagerTLS: &UpstreamTLSFiles{CAFile: "/ca.pem", SNI: "manager.example"},
			Routes:     []Route{{Prefix: "/a/", Backend: "a"}, {Prefix: "/b/1.0/", Backend: "b", PrefixRewrite: "/v1/"}},
			VMID:       "certgate-prod", PluginConfig: []byte(`{"sync":{"cluster":"certgate-manager","environment":"Prod"},"certificateHeader":"x-client-cert"}`),
		}, check: func(t *testing.T, s *Summary) {
			if xds.EnvironmentOf(s.Bootstrap.GetNode()) != "Prod" || s.VMID != "certgate-prod" {
				t.Fatalf("env %q vm %q", xds.EnvironmentOf(s.Bootstrap.GetNode()), s.VMID)
			}
			if !slices.Equal(s.RouteClusters, []string{"certgate-backend-a", "certgate-backend-b"}) {
				t.Fatalf("routes %v", s.RouteClusters)
			}
			for _, c := range s.Bootstrap.GetStaticResources().GetClusters() {
				if c.GetTransportSocket() == nil {
					t.Fatalf("cluster %s has no TLS", c.GetName())
				}
			}
		}},
		{name: "fail/no-manager", opts: BootstrapOptions{}, wantErr: "manager address"},
		{name: "fail/bad-listen", opts: BootstrapOptions{Manager: "m:1", Listen: "8443"}, wantErr: "listen"},
		{name: "fail/bad-xds-port", opts: BootstrapOptions{Manager: "m:1", XDS: "x:0"}, wantErr: "xds"},
		{name: "fail/tls-without-ca", opts: BootstrapOptions{Manager: "m:1", XDSTLS: &UpstreamTLSFiles{SNI: "x"}}, wantErr: "CA file"},
		{name: "fail/plugin-config-array", opts: BootstrapOptions{Manager: "m:1", PluginConfig: []byte(`[1]`)}, wantErr: "JSON object"},
		{name: "fail/invalid-utf8", opts: BootstrapOptions{Manager: "m:1", PluginConfig: []byte("{\"sync\":{\"environment\":\"\xff\"}}")}, wantErr: "UTF-8"},
		{name: "fail/route-without-backend", opts: BootstrapOptions{Manager: "m:1", Routes: []Route{{Prefix: "/x"}}}, wantErr: "1 to 100 characters"},
		{name: "fail/route-backend-name", opts: BootstrapOptions{Manager: "m:1", Routes: []Route{{Prefix: "/x", Backend: "a/b"}}}, wantErr: "only letters"},
		{name: "fail/backend-name-not-servable", opts: BootstrapOptions{Manager: "m:1", PluginConfig: []byte(`{"sync":{"cluster":"nope"}}`)}, wantErr: "not a static cluster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := GenerateBootstrap(tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum, err := ValidateBootstrap(out)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, sum)
		})
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		in      string
		want    Route
		wantErr bool
	}{
		{"/pizzashack/=pizza", Route{Prefix: "/pizzashack/", Backend: "pizza"}, false},
		{"/p/1.0/=pizza=/api/", Route{Prefix: "/p/1.0/", Backend: "pizza", PrefixRewrite: "/api/"}, false},
		{"pizza=/x", Route{}, true},
		{"/p=", Route{}, true},
		{"/p=b=api", Route{}, true},
		{"/p=b=/x=/y", Route{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRoute(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

// The validator must reject each of these changes to the shipped bootstrap.
func TestValidatorRejects(t *testing.T) {
	base := string(readFile(t, "gateway-bootstrap.yaml"))
	tests := []struct {
		name, old, new string
		wantErr        string
	}{
		{"fail/unknown-field", "  - name: certgate-https\n", "  - name: certgate-https\n    bogus_field: 1\n", "unknown field"},
		{"fail/unknown-field-in-typed-config", "          stat_prefix: certgate\n", "          stat_prefix: certgate\n          no_such_option: true\n", "unknown field"},
		{"fail/unknown-any-type", "envoy.extensions.filters.http.router.v3.Router", "envoy.extensions.filters.http.router.v3.NoSuchRouter", "NoSuchRouter"},
		{"fail/validate-all", "          stat_prefix: certgate\n", "          stat_prefix: \"\"\n", "StatPrefix"},
		{"fail/route-to-missing-cluster", "cluster: certgate-backend-pizzashack", "cluster: pizzashack-typo", "pizzashack-typo"},
		{"fail/router-not-last", "          - name: envoy.filters.http.wasm\n", "          - name: envoy.filters.http.router\n            typed_config:\n              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\n          - name: envoy.filters.http.wasm\n", "router"},
		{"fail/secret-name", "name: certgate-client-truststore", "name: client-truststore", "client truststore"},
		{"fail/require-client-cert", "require_client_certificate: false", "require_client_certificate: true", "require_client_certificate"},
		{"fail/verify-trust-chain", "trust_chain_verification: ACCEPT_UNTRUSTED", "trust_chain_verification: VERIFY_TRUST_CHAIN", "ACCEPT_UNTRUSTED"},
		{"fail/xfcc-forwarded", "forward_client_cert_details: SANITIZE", "forward_client_cert_details: APPEND_FORWARD", "SANITIZE"},
		{"fail/no-vm-id", "vm_id: certgate ", "vm_id: \"\" ", "vm_id"},
		{"fail/runtime", "runtime: envoy.wasm.runtime.v8", "runtime: envoy.wasm.runtime.null", "runtime"},
		{"fail/plugin-config-not-json", `value: '{"sync":{"cluster":"certgate-manager","environment":"Default"}}'`, `value: 'environment=Default'`, "not a JSON object"},
		{"fail/plugin-manager-cluster-missing", `"cluster":"certgate-manager"`, `"cluster":"certgate-mgr"`, "certgate-mgr"},
		{"fail/ads-cluster-missing", "envoy_grpc: { cluster_name: certgate-xds }", "envoy_grpc: { cluster_name: xds-typo }", "xds-typo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("the shipped bootstrap no longer contains %q", tc.old)
			}
			_, err := ValidateBootstrap([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// Two listeners whose certgate filters use different vm_ids are rejected.
func TestValidatorRejectsDifferentVMIDs(t *testing.T) {
	b, err := BuildBootstrap(BootstrapOptions{Manager: "m:1"})
	if err != nil {
		t.Fatal(err)
	}
	l2 := proto.Clone(b.GetStaticResources().GetListeners()[0]).(*listenerv3.Listener)
	l2.Name = "second"
	l2.GetAddress().GetSocketAddress().PortSpecifier = &corev3.SocketAddress_PortValue{PortValue: 9444}
	filter := l2.GetFilterChains()[0].GetFilters()[0]
	var hcm hcmv3.HttpConnectionManager
	if err := filter.GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatal(err)
	}
	var wasm wasmfilterv3.Wasm
	if err := hcm.GetHttpFilters()[0].GetTypedConfig().UnmarshalTo(&wasm); err != nil {
		t.Fatal(err)
	}
	wasm.GetConfig().GetVmConfig().VmId = "other"
	hcm.GetHttpFilters()[0].ConfigType = &hcmv3.HttpFilter_TypedConfig{TypedConfig: (&packer{}).pack(&wasm)}
	filter.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: (&packer{}).pack(&hcm)}
	b.StaticResources.Listeners = append(b.StaticResources.Listeners, l2)
	if _, err := CheckBootstrap(b); err == nil || !strings.Contains(err.Error(), `vm_id "other" differs`) {
		t.Fatalf("err = %v", err)
	}
}

func cmpDiff(a, b proto.Message) string {
	if proto.Equal(a, b) {
		return ""
	}
	ja, errA := MarshalYAML(a)
	jb, errB := MarshalYAML(b)
	if errA != nil || errB != nil {
		return fmt.Sprintf("marshal: %v %v", errA, errB)
	}
	if string(ja) == string(jb) {
		return "" // equal once Any payloads are normalised
	}
	return "--- shipped\n" + string(ja) + "\n--- generated\n" + string(jb)
}
