package envoyconfig

import (
	"fmt"
	"net/netip"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"

	"github.com/certgate/certgate/manager/xds"
)

// GenerateBootstrap builds the gateway's Envoy v3 bootstrap as YAML: a
// downstream TLS listener whose client truststore comes from the manager over
// ADS (require_client_certificate false, ACCEPT_UNTRUSTED, so a failing
// certificate still reaches the filter), an HCM that sanitises
// x-forwarded-client-cert and runs the certgate Wasm filter then the router,
// ADS and CDS from the manager, and the manager cluster the filter long-polls.
// The output passes ValidateBootstrap.
func GenerateBootstrap(opts BootstrapOptions) ([]byte, error) {
	b, err := BuildBootstrap(opts)
	if err != nil {
		return nil, err
	}
	out, err := MarshalYAML(b)
	if err != nil {
		return nil, err
	}
	if _, err := ValidateBootstrap(out); err != nil {
		return nil, fmt.Errorf("generated bootstrap is invalid: %w", err)
	}
	return out, nil
}

// MarshalYAML renders an Envoy proto as YAML with Envoy's snake_case names.
func MarshalYAML(m proto.Message) ([]byte, error) {
	j, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(j)
}

// BuildBootstrap is GenerateBootstrap before rendering.
func BuildBootstrap(opts BootstrapOptions) (*bootstrapv3.Bootstrap, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &packer{}
	listener, err := p.gatewayListener(o)
	if err != nil {
		return nil, err
	}
	xdsCluster, err := p.managerCluster(XDSCluster, o.XDS, o.XDSTLS, true)
	if err != nil {
		return nil, err
	}
	mgrCluster, err := p.managerCluster(ManagerCluster, o.Manager, o.ManagerTLS, false)
	if err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, fmt.Errorf("bootstrap: %w", p.err)
	}
	return &bootstrapv3.Bootstrap{
		Node: &corev3.Node{
			Id:      o.NodeID,
			Cluster: o.Environment,
			Metadata: &structpb.Struct{Fields: map[string]*structpb.Value{
				xds.NodeMetadataEnvKey: structpb.NewStringValue(o.Environment),
			}},
		},
		Admin: &bootstrapv3.Admin{Address: socketAddress("127.0.0.1", o.AdminPort)},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: &corev3.ApiConfigSource{
				ApiType:             corev3.ApiConfigSource_GRPC,
				TransportApiVersion: corev3.ApiVersion_V3,
				GrpcServices: []*corev3.GrpcService{{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
					EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: XDSCluster},
				}}},
				SetNodeOnFirstMessageOnly: true,
			},
			CdsConfig: xds.ADSConfigSource(),
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Listeners: []*listenerv3.Listener{listener},
			Clusters:  []*clusterv3.Cluster{xdsCluster, mgrCluster},
		},
	}, nil
}

func (p *packer) gatewayListener(o BootstrapOptions) (*listenerv3.Listener, error) {
	host, port, _ := splitHostPort(o.Listen)
	downstream := &tlsv3.DownstreamTlsContext{
		RequireClientCertificate: wrapperspb.Bool(false),
		CommonTlsContext: &tlsv3.CommonTlsContext{
			AlpnProtocols: []string{"h2", "http/1.1"},
			TlsCertificates: []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource(o.ServerCertFile),
				PrivateKey:       fileSource(o.ServerKeyFile),
			}},
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
				CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
					// A certificate that fails verification still reaches the
					// filter, which decides per API (and falls back to OAuth2).
					DefaultValidationContext: &tlsv3.CertificateValidationContext{
						TrustChainVerification: tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED,
					},
					ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{
						Name:      xds.ClientTruststoreSecret,
						SdsConfig: xds.ADSConfigSource(),
					},
				},
			},
		},
	}
	hcm, err := p.httpConnectionManager(o)
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:    ListenerName,
		Address: socketAddress(host, port),
		FilterChains: []*listenerv3.FilterChain{{
			TransportSocket: &corev3.TransportSocket{
				Name:       wellknown.TransportSocketTLS,
				ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: p.pack(downstream)},
			},
			Filters: []*listenerv3.Filter{{
				Name:       wellknown.HTTPConnectionManager,
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: p.pack(hcm)},
			}},
		}},
	}, nil
}

func (p *packer) httpConnectionManager(o BootstrapOptions) (*hcmv3.HttpConnectionManager, error) {
	var routes []*routev3.Route
	for _, r := range o.Routes {
		if r.Prefix == "" || r.Backend == "" {
			return nil, fmt.Errorf("route %+v: prefix and backend are required", r)
		}
		routes = append(routes, &routev3.Route{
			Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: r.Prefix}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{
				ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: xds.BackendClusterName(r.Backend)},
				PrefixRewrite:    r.PrefixRewrite,
			}},
		})
	}
	routes = append(routes, &routev3.Route{
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{
			Status: 404,
			Body:   &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: `{"code":404,"message":"Not Found","description":"No API matches the request"}`}},
		}},
	})
	wasm := &wasmfilterv3.Wasm{Config: &wasmv3.PluginConfig{
		Name:   PluginRootID,
		RootId: PluginRootID,
		Vm: &wasmv3.PluginConfig_VmConfig{VmConfig: &wasmv3.VmConfig{
			VmId:    o.VMID,
			Runtime: WasmRuntime,
			Code: &corev3.AsyncDataSource{Specifier: &corev3.AsyncDataSource_Local{
				Local: fileSource(o.FilterWasm),
			}},
		}},
		Configuration: p.pack(wrapperspb.String(string(o.PluginConfig))),
		FailurePolicy: wasmv3.FailurePolicy_FAIL_CLOSED,
	}}
	return &hcmv3.HttpConnectionManager{
		StatPrefix: "certgate",
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		// SANITIZE (the default, stated): an inbound x-forwarded-client-cert
		// never reaches the filter or the backend.
		ForwardClientCertDetails: hcmv3.HttpConnectionManager_SANITIZE,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: RouteConfigName,
			VirtualHosts: []*routev3.VirtualHost{{
				Name:    "apis",
				Domains: []string{"*"},
				Routes:  routes,
			}},
		}},
		HttpFilters: []*hcmv3.HttpFilter{
			{Name: WasmFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: p.pack(wasm)}},
			{Name: wellknown.Router, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: p.pack(&routerv3.Router{})}},
		},
	}, nil
}

// managerCluster is a static cluster to the manager: HTTP/2 for gRPC (xDS),
// HTTP/1.1 for the filter's long-poll.
func (p *packer) managerCluster(name, hostPort string, tlsFiles *UpstreamTLSFiles, http2 bool) (*clusterv3.Cluster, error) {
	host, port, err := splitHostPort(hostPort)
	if err != nil {
		return nil, err
	}
	discovery := clusterv3.Cluster_LOGICAL_DNS
	if _, err := netip.ParseAddr(host); err == nil {
		discovery = clusterv3.Cluster_STATIC
	}
	c := &clusterv3.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(2 * time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: discovery},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddress(host, port)}},
			}}}},
		},
	}
	if http2 {
		opts := &upstreamhttpv3.HttpProtocolOptions{UpstreamProtocolOptions: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
					Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
				},
			},
		}}
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": p.pack(opts),
		}
	}
	if tlsFiles != nil {
		common := &tlsv3.CommonTlsContext{
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
				TrustedCa: fileSource(tlsFiles.CAFile),
			}},
		}
		if http2 {
			common.AlpnProtocols = []string{"h2"}
		}
		if tlsFiles.CertFile != "" {
			common.TlsCertificates = []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource(tlsFiles.CertFile),
				PrivateKey:       fileSource(tlsFiles.KeyFile),
			}}
		}
		sni := tlsFiles.SNI
		if sni == "" && discovery == clusterv3.Cluster_LOGICAL_DNS {
			sni = host
		}
		c.TransportSocket = &corev3.TransportSocket{
			Name:       wellknown.TransportSocketTLS,
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: p.pack(&tlsv3.UpstreamTlsContext{CommonTlsContext: common, Sni: sni})},
		}
	}
	return c, nil
}

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func fileSource(path string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: path}}
}

// packer packs typed configs into Any, keeping the first error (a string
// that is not valid UTF-8, from a flag or a plugin configuration file, makes
// proto marshalling fail).
type packer struct{ err error }

func (p *packer) pack(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil && p.err == nil {
		p.err = err
	}
	return a
}
