package envoyconfig

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"
)

// k8sObject is the part of a Kubernetes manifest the tests read.
type k8sObject struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       map[string]any `json:"spec"`
	raw        []byte
}

// istioObjects parses every document of every istio/*.yaml file.
func istioObjects(t *testing.T) map[string][]k8sObject {
	t.Helper()
	files, err := filepath.Glob("istio/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Istio manifests: %v", err)
	}
	byKind := map[string][]k8sObject{}
	for _, f := range files {
		for i, doc := range strings.Split(string(readFile(t, f)), "\n---\n") {
			var o k8sObject
			if err := yaml.UnmarshalStrict([]byte(doc), &o); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			o.raw = []byte(doc)
			byKind[o.Kind] = append(byKind[o.Kind], o)
		}
	}
	return byKind
}

// dig walks nested maps and lists ("servers", 0, "tls", "mode").
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no element %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func TestIstioManifests(t *testing.T) {
	objs := istioObjects(t)
	wantAPI := map[string]string{
		"WasmPlugin":      "extensions.istio.io/v1alpha1",
		"Gateway":         "networking.istio.io/v1",
		"EnvoyFilter":     "networking.istio.io/v1alpha3",
		"DestinationRule": "networking.istio.io/v1",
	}
	for kind, list := range objs {
		want, ok := wantAPI[kind]
		if !ok {
			t.Fatalf("unexpected kind %q", kind)
		}
		for _, o := range list {
			if o.APIVersion != want || o.Metadata["name"] == "" || o.Spec == nil {
				t.Fatalf("%s: apiVersion %q (want %q), name %v", kind, o.APIVersion, want, o.Metadata["name"])
			}
		}
	}
	for kind := range wantAPI {
		if len(objs[kind]) != 1 {
			t.Fatalf("want one %s, have %d", kind, len(objs[kind]))
		}
	}

	t.Run("WasmPlugin", func(t *testing.T) {
		spec := objs["WasmPlugin"][0].Spec
		if spec["phase"] != "AUTHN" || spec["pluginName"] != PluginRootID || spec["failStrategy"] != "FAIL_CLOSE" {
			t.Fatalf("spec %v", spec)
		}
		istio, _ := spec["pluginConfig"].(map[string]any)
		sum, err := ValidateBootstrap(readFile(t, "gateway-bootstrap.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var boot map[string]any
		if err := json.Unmarshal([]byte(sum.PluginConfigs[0]), &boot); err != nil {
			t.Fatal(err)
		}
		// Equal but for the manager cluster, which Istio names after the service.
		mc, _ := pluginManagerCluster(istio)
		if s, _ := mc.(string); !regexp.MustCompile(`^outbound\|\d+\|\|[a-z0-9.-]+$`).MatchString(s) {
			t.Fatalf("Istio sync.cluster %v is not an Istio outbound cluster name", mc)
		}
		bootCluster, _ := pluginManagerCluster(boot)
		istio[PluginSyncKey].(map[string]any)[PluginClusterKey] = bootCluster
		if !reflect.DeepEqual(istio, boot) {
			t.Fatalf("pluginConfig %v differs from the bootstrap's %v", istio, boot)
		}
	})

	t.Run("Gateway", func(t *testing.T) {
		tls := dig(t, objs["Gateway"][0].Spec, "servers", 0, "tls")
		if dig(t, tls, "mode") != "OPTIONAL_MUTUAL" || dig(t, tls, "credentialName") == nil {
			t.Fatalf("gateway tls %v", tls)
		}
	})

	t.Run("EnvoyFilter", func(t *testing.T) {
		patch := dig(t, objs["EnvoyFilter"][0].Spec, "configPatches", 0)
		if dig(t, patch, "applyTo") != "FILTER_CHAIN" || dig(t, patch, "patch", "operation") != "MERGE" || dig(t, patch, "match", "context") != "GATEWAY" {
			t.Fatalf("patch %v", patch)
		}
		// The patch value is a FilterChain fragment: parse it strictly with
		// Envoy's protos and validate its typed_config.
		value, err := json.Marshal(dig(t, patch, "patch", "value"))
		if err != nil {
			t.Fatal(err)
		}
		var fc listenerv3.FilterChain
		if err := ParseYAML(value, &fc); err != nil {
			t.Fatal(err)
		}
		var d tlsv3.DownstreamTlsContext
		if err := fc.GetTransportSocket().GetTypedConfig().UnmarshalTo(&d); err != nil {
			t.Fatal(err)
		}
		// Istio MERGEs the patch (proto.Merge) into the context it builds for
		// an OPTIONAL_MUTUAL server with credentialName; validate that result.
		ads := &corev3.ConfigSource{ResourceApiVersion: corev3.ApiVersion_V3, ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}
		merged := &tlsv3.DownstreamTlsContext{
			RequireClientCertificate: wrapperspb.Bool(false),
			CommonTlsContext: &tlsv3.CommonTlsContext{
				TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: "kubernetes://certgate-gateway-credential", SdsConfig: ads}},
				ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
					DefaultValidationContext:         &tlsv3.CertificateValidationContext{},
					ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: "kubernetes://certgate-gateway-credential-cacert", SdsConfig: ads},
				}},
			},
		}
		proto.Merge(merged, &d)
		if err := merged.ValidateAll(); err != nil {
			t.Fatal(err)
		}
		w := &walker{}
		checkDownstream(w, "EnvoyFilter", merged)
		for _, err := range w.errs {
			// The CA secret is Istio's, not the manager's truststore.
			if !strings.Contains(err.Error(), "client truststore") {
				t.Fatal(err)
			}
		}
		if len(w.errs) != 1 {
			t.Fatalf("want only the Istio truststore name to differ, got %v", w.errs)
		}
	})

	t.Run("DestinationRule", func(t *testing.T) {
		tls := dig(t, objs["DestinationRule"][0].Spec, "trafficPolicy", "tls")
		if dig(t, tls, "mode") != "MUTUAL" || dig(t, tls, "credentialName") == nil || dig(t, tls, "sni") == nil {
			t.Fatalf("destination rule tls %v", tls)
		}
	})
}
