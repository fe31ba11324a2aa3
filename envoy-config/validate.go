package envoyconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	"github.com/certgate/certgate/manager/xds"
)

// PluginSyncKey and PluginClusterKey locate the cluster the filter
// long-polls in its plugin configuration ({"sync": {"cluster": ...}}, see
// filter/internal/plugin/config.go); when present it must be a static cluster.
const (
	PluginSyncKey    = "sync"
	PluginClusterKey = "cluster"
)

// pluginManagerCluster returns sync.cluster of a parsed plugin configuration.
func pluginManagerCluster(cfg map[string]any) (any, bool) {
	sync, ok := cfg[PluginSyncKey].(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := sync[PluginClusterKey]
	return v, ok
}

// Summary is what ValidateBootstrap learnt about a valid bootstrap.
type Summary struct {
	Bootstrap *bootstrapv3.Bootstrap
	// PluginConfigs holds each certgate Wasm filter's plugin configuration.
	PluginConfigs []string
	// VMID is the vm_id shared by the Wasm filters ("" if none).
	VMID string
	// ADSSecrets are the SDS secret names the bootstrap asks the manager for.
	ADSSecrets []string
	// RouteClusters are the clusters routes send traffic to.
	RouteClusters []string
}

// ParseYAML parses Envoy YAML into m strictly: unknown fields and unknown
// Any types fail (the extension packages used are linked into this package).
func ParseYAML(data []byte, m proto.Message) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(j, m); err != nil {
		return fmt.Errorf("%s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

// ValidateBootstrap parses a bootstrap strictly, runs Envoy's ValidateAll on
// it and on every embedded typed_config, and checks certgate's rules:
//   - every route's cluster is static, or a backend cluster the manager serves over CDS;
//   - the router is the last HTTP filter of each HCM, which sanitises x-forwarded-client-cert;
//   - every downstream TLS context requests but does not require a client
//     certificate and accepts untrusted ones (the filter decides);
//   - every SDS secret asked of the manager over ADS is one it serves, and
//     the downstream truststore is xds.ClientTruststoreSecret;
//   - ADS points at a static cluster;
//   - the certgate Wasm filters use the v8 runtime, one vm_id, and a JSON
//     object plugin configuration whose manager cluster exists.
func ValidateBootstrap(data []byte) (*Summary, error) {
	var b bootstrapv3.Bootstrap
	if err := ParseYAML(data, &b); err != nil {
		return nil, err
	}
	return CheckBootstrap(&b)
}

// CheckBootstrap is ValidateBootstrap on a parsed bootstrap.
func CheckBootstrap(b *bootstrapv3.Bootstrap) (*Summary, error) {
	w := &walker{}
	if err := b.ValidateAll(); err != nil {
		w.errs = append(w.errs, fmt.Errorf("bootstrap: %w", err))
	}
	w.visit(b.ProtoReflect(), "bootstrap")

	sum := &Summary{Bootstrap: b}
	static := map[string]bool{}
	for _, c := range b.GetStaticResources().GetClusters() {
		static[c.GetName()] = true
	}
	cdsFromADS := b.GetDynamicResources().GetCdsConfig().GetAds() != nil

	for _, rc := range w.routeClusters {
		sum.RouteClusters = append(sum.RouteClusters, rc.name)
		switch {
		case static[rc.name]:
		case cdsFromADS && strings.HasPrefix(rc.name, xds.BackendClusterPrefix):
		default:
			w.errorf("%s: route to cluster %q, which is neither static nor a backend cluster served over CDS", rc.path, rc.name)
		}
	}
	for _, h := range w.hcms {
		checkHCM(w, h.path, h.msg)
	}
	for _, d := range w.downstream {
		checkDownstream(w, d.path, d.msg)
	}
	usesADS := false
	for _, s := range w.sds {
		if s.msg.GetSdsConfig().GetAds() == nil {
			continue
		}
		usesADS = true
		sum.ADSSecrets = append(sum.ADSSecrets, s.msg.GetName())
		if !servedSecret(s.msg.GetName()) {
			w.errorf("%s: SDS secret %q is not one the manager serves", s.path, s.msg.GetName())
		}
	}
	if usesADS || cdsFromADS {
		grpc := b.GetDynamicResources().GetAdsConfig().GetGrpcServices()
		if len(grpc) == 0 {
			w.errorf("bootstrap: resources come from ADS but dynamic_resources.ads_config has no gRPC service")
		}
		for _, g := range grpc {
			if name := g.GetEnvoyGrpc().GetClusterName(); !static[name] {
				w.errorf("bootstrap: ADS cluster %q is not a static cluster", name)
			}
		}
	}
	for _, wf := range w.wasm {
		cfg := checkWasm(w, wf.path, wf.msg, static)
		if cfg == "" {
			continue
		}
		sum.PluginConfigs = append(sum.PluginConfigs, cfg)
		vm := wf.msg.GetConfig().GetVmConfig().GetVmId()
		if sum.VMID == "" {
			sum.VMID = vm
		} else if vm != sum.VMID {
			w.errorf("%s: vm_id %q differs from %q: every certgate filter must share one VM per worker", wf.path, vm, sum.VMID)
		}
	}
	return sum, errors.Join(w.errs...)
}

func checkHCM(w *walker, path string, h *hcmv3.HttpConnectionManager) {
	filters := h.GetHttpFilters()
	routerType := string((&routerv3.Router{}).ProtoReflect().Descriptor().FullName())
	isRouter := func(f *hcmv3.HttpFilter) bool {
		return strings.HasSuffix(f.GetTypedConfig().GetTypeUrl(), "/"+routerType)
	}
	if len(filters) == 0 || !isRouter(filters[len(filters)-1]) {
		w.errorf("%s: the router must be the last HTTP filter", path)
	}
	for i, f := range filters {
		if i < len(filters)-1 && isRouter(f) {
			w.errorf("%s: router at position %d of %d: filters after it never run", path, i, len(filters))
		}
	}
	if h.GetForwardClientCertDetails() != hcmv3.HttpConnectionManager_SANITIZE {
		w.errorf("%s: forward_client_cert_details is %v, want SANITIZE", path, h.GetForwardClientCertDetails())
	}
}

func checkDownstream(w *walker, path string, d *tlsv3.DownstreamTlsContext) {
	if d.GetRequireClientCertificate().GetValue() {
		w.errorf("%s: require_client_certificate must be false (OAuth2 callers have no certificate)", path)
	}
	ctx := d.GetCommonTlsContext()
	accept := tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED
	switch {
	case ctx.GetCombinedValidationContext() != nil:
		c := ctx.GetCombinedValidationContext()
		if c.GetDefaultValidationContext().GetTrustChainVerification() != accept {
			w.errorf("%s: trust_chain_verification must be ACCEPT_UNTRUSTED so a failing certificate reaches the filter", path)
		}
		checkTruststoreRef(w, path, c.GetValidationContextSdsSecretConfig())
	case ctx.GetValidationContext() != nil:
		if ctx.GetValidationContext().GetTrustChainVerification() != accept {
			w.errorf("%s: trust_chain_verification must be ACCEPT_UNTRUSTED so a failing certificate reaches the filter", path)
		}
	case ctx.GetValidationContextSdsSecretConfig() != nil:
		// The manager's truststore secret carries ACCEPT_UNTRUSTED itself.
		checkTruststoreRef(w, path, ctx.GetValidationContextSdsSecretConfig())
	default:
		w.errorf("%s: no validation context: Envoy would not ask clients for a certificate", path)
	}
}

func checkTruststoreRef(w *walker, path string, s *tlsv3.SdsSecretConfig) {
	if s.GetSdsConfig().GetAds() != nil && s.GetName() != xds.ClientTruststoreSecret {
		w.errorf("%s: the client truststore served over ADS is %q, not %q", path, xds.ClientTruststoreSecret, s.GetName())
	}
}

// servedSecret reports whether manager/xds serves a secret of that name.
func servedSecret(name string) bool {
	if name == xds.ClientTruststoreSecret {
		return true
	}
	backend, ok := strings.CutPrefix(name, xds.BackendClusterPrefix)
	if !ok {
		return false
	}
	for _, suffix := range []string{"-client", "-trust"} {
		if b, ok := strings.CutSuffix(backend, suffix); ok && b != "" {
			return true
		}
	}
	return false
}

// checkWasm checks one Wasm HTTP filter and returns its plugin configuration.
func checkWasm(w *walker, path string, f *wasmfilterv3.Wasm, static map[string]bool) string {
	cfg := f.GetConfig()
	vm := cfg.GetVmConfig()
	if vm == nil {
		w.errorf("%s: the Wasm filter needs an inline vm_config", path)
		return ""
	}
	if vm.GetVmId() == "" {
		w.errorf("%s: vm_id is empty: set one so the filter's VM is shared per worker", path)
	}
	if vm.GetRuntime() != WasmRuntime {
		w.errorf("%s: runtime %q, want %q", path, vm.GetRuntime(), WasmRuntime)
	}
	if vm.GetCode().GetLocal() == nil && vm.GetCode().GetRemote() == nil {
		w.errorf("%s: the Wasm code source is empty", path)
	}
	var plugin string
	switch a := cfg.GetConfiguration(); {
	case a == nil:
		plugin = "{}"
	default:
		var s wrapperspb.StringValue
		if err := a.UnmarshalTo(&s); err != nil {
			w.errorf("%s: plugin configuration must be a google.protobuf.StringValue: %v", path, err)
			return ""
		}
		plugin = s.GetValue()
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(plugin), &obj); err != nil {
		w.errorf("%s: plugin configuration is not a JSON object: %v", path, err)
		return ""
	}
	if v, ok := pluginManagerCluster(obj); ok {
		if name, _ := v.(string); !static[name] {
			w.errorf("%s: plugin configuration sync.cluster %v is not a static cluster", path, v)
		}
	}
	return plugin
}

// walker visits every message of a config, unpacking each Any (which must
// be a registered type and pass its own ValidateAll), and collects the
// messages the semantic checks need.
type walker struct {
	errs          []error
	hcms          []found[*hcmv3.HttpConnectionManager]
	downstream    []found[*tlsv3.DownstreamTlsContext]
	sds           []found[*tlsv3.SdsSecretConfig]
	wasm          []found[*wasmfilterv3.Wasm]
	routeClusters []namedAt
}

type found[T any] struct {
	path string
	msg  T
}

type namedAt struct{ path, name string }

func (w *walker) errorf(format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf(format, args...))
}

func (w *walker) visit(m protoreflect.Message, path string) {
	switch v := m.Interface().(type) {
	case *anypb.Any:
		inner, err := v.UnmarshalNew()
		if err != nil {
			w.errorf("%s: typed_config %q: %v", path, v.GetTypeUrl(), err)
			return
		}
		if val, ok := inner.(interface{ ValidateAll() error }); ok {
			if err := val.ValidateAll(); err != nil {
				w.errorf("%s (%s): %v", path, inner.ProtoReflect().Descriptor().FullName(), err)
			}
		}
		w.visit(inner.ProtoReflect(), path+"{"+string(inner.ProtoReflect().Descriptor().Name())+"}")
		return
	case *hcmv3.HttpConnectionManager:
		w.hcms = append(w.hcms, found[*hcmv3.HttpConnectionManager]{path, v})
	case *tlsv3.DownstreamTlsContext:
		w.downstream = append(w.downstream, found[*tlsv3.DownstreamTlsContext]{path, v})
	case *tlsv3.SdsSecretConfig:
		w.sds = append(w.sds, found[*tlsv3.SdsSecretConfig]{path, v})
	case *wasmfilterv3.Wasm:
		w.wasm = append(w.wasm, found[*wasmfilterv3.Wasm]{path, v})
	case *routev3.RouteAction:
		if c := v.GetCluster(); c != "" {
			w.routeClusters = append(w.routeClusters, namedAt{path, c})
		}
		for _, wc := range v.GetWeightedClusters().GetClusters() {
			w.routeClusters = append(w.routeClusters, namedAt{path, wc.GetName()})
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		sub := path + "." + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := val.List()
			for i := 0; i < l.Len(); i++ {
				w.visit(l.Get(i).Message(), fmt.Sprintf("%s[%d]", sub, i))
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			var ks []protoreflect.MapKey
			val.Map().Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				ks = append(ks, k)
				return true
			})
			slices.SortFunc(ks, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range ks {
				w.visit(val.Map().Get(k).Message(), sub+"["+k.String()+"]")
			}
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			w.visit(val.Message(), sub)
		}
		return true
	})
}
