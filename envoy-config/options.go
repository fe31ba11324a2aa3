// Package envoyconfig generates and validates certgate's Envoy gateway
// configuration: the v3 bootstrap (built from go-control-plane's typed protos)
// and the checks every shipped or generated file must pass — strict parsing
// into Envoy's protos, Envoy's own ValidateAll on the bootstrap and on every
// embedded typed_config, and the semantic rules protos cannot express.
package envoyconfig

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/certgate/certgate/manager/xds"
)

// Names the bootstrap uses and the validator checks.
const (
	// XDSCluster is the static cluster of the ADS gRPC stream to the manager.
	XDSCluster = "certgate-xds"
	// ManagerCluster is the static cluster the filter long-polls the manager through.
	ManagerCluster = "certgate-manager"
	// ListenerName is the gateway's downstream TLS listener.
	ListenerName = "certgate-https"
	// RouteConfigName is the HCM's route configuration.
	RouteConfigName = "certgate-routes"
	// WasmFilterName is the HTTP filter name of the certgate Wasm filter.
	WasmFilterName = "envoy.filters.http.wasm"
	// WasmRuntime is the Wasm runtime of the filter's VM.
	WasmRuntime = "envoy.wasm.runtime.v8"
	// DefaultVMID is the vm_id shared by all workers' VMs.
	DefaultVMID = "certgate"
	// PluginRootID is the root_id of the filter's plugin.
	PluginRootID = "certgate"
	// DefaultXDSPort is the manager's xDS port assumed when only --manager is given.
	DefaultXDSPort = 18000
)

// BootstrapOptions configure GenerateBootstrap. Zero values take the
// defaults documented on each field.
type BootstrapOptions struct {
	// Environment of the gateway ("Default"): the node cluster and the
	// node metadata "certgate_env" the manager maps the gateway with.
	Environment string
	// NodeID of the gateway ("certgate-gateway").
	NodeID string
	// Listen is the downstream TLS listener address ("0.0.0.0:8443").
	Listen string
	// Manager is the manager's HTTP host:port the filter long-polls (required).
	Manager string
	// XDS is the manager's xDS host:port (Manager's host, port 18000).
	XDS string
	// XDSTLS and ManagerTLS enable TLS to the manager; nil = plain text.
	XDSTLS     *UpstreamTLSFiles
	ManagerTLS *UpstreamTLSFiles
	// ServerCertFile and ServerKeyFile hold the gateway's own TLS
	// certificate and key (/etc/certgate/tls/server.crt and server.key).
	ServerCertFile string
	ServerKeyFile  string
	// FilterWasm is the path of certgate-filter.wasm on the gateway
	// (/etc/certgate/certgate-filter.wasm).
	FilterWasm string
	// VMID is the vm_id shared by all workers ("certgate").
	VMID string
	// AdminPort is Envoy's admin port, bound to 127.0.0.1 (9901).
	AdminPort uint32
	// Routes map path prefixes to backends served by the manager over CDS.
	// Requests matching none get a 404.
	Routes []Route
	// PluginConfig is the filter's plugin configuration (JSON object);
	// nil = DefaultPluginConfig(Environment, GatewayToken).
	PluginConfig json.RawMessage
	// GatewayToken is the manager's gateway token the filter presents on its
	// long-poll (embedded in the default plugin configuration).
	GatewayToken string
}

// UpstreamTLSFiles are file paths on the gateway for TLS to the manager.
type UpstreamTLSFiles struct {
	CAFile   string // required: the CA the manager's certificate chains to
	CertFile string // optional client certificate (mutual TLS)
	KeyFile  string // optional client key
	SNI      string // optional server name
}

// Route sends requests whose path starts with Prefix to the backend cluster
// the manager serves for Backend (xds.BackendClusterName), optionally
// replacing the prefix with PrefixRewrite.
type Route struct {
	Prefix        string
	Backend       string
	PrefixRewrite string
}

// ParseRoute parses "PREFIX=BACKEND" or "PREFIX=BACKEND=REWRITE".
func ParseRoute(s string) (Route, error) {
	parts := strings.Split(s, "=")
	if len(parts) < 2 || len(parts) > 3 || !strings.HasPrefix(parts[0], "/") || parts[1] == "" {
		return Route{}, fmt.Errorf("route %q: want /PREFIX=BACKEND or /PREFIX=BACKEND=/REWRITE", s)
	}
	r := Route{Prefix: parts[0], Backend: parts[1]}
	if len(parts) == 3 {
		if !strings.HasPrefix(parts[2], "/") {
			return Route{}, fmt.Errorf("route %q: the rewrite must start with /", s)
		}
		r.PrefixRewrite = parts[2]
	}
	return r, nil
}

// DefaultPluginConfig is the filter configuration the bootstrap embeds when
// none is given: the manager cluster to long-poll, the environment and,
// when set, the gateway token.
func DefaultPluginConfig(env, gatewayToken string) json.RawMessage {
	if env == "" {
		env = xds.DefaultEnvironment
	}
	sync := map[string]any{"cluster": ManagerCluster, "environment": env}
	if gatewayToken != "" {
		sync["token"] = gatewayToken
	}
	b, _ := json.Marshal(map[string]any{"sync": sync})
	return b
}

// withDefaults fills the zero fields and checks the rest.
func (o BootstrapOptions) withDefaults() (BootstrapOptions, error) {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.Environment, xds.DefaultEnvironment)
	def(&o.NodeID, "certgate-gateway")
	def(&o.Listen, "0.0.0.0:8443")
	def(&o.ServerCertFile, "/etc/certgate/tls/server.crt")
	def(&o.ServerKeyFile, "/etc/certgate/tls/server.key")
	def(&o.FilterWasm, "/etc/certgate/certgate-filter.wasm")
	def(&o.VMID, DefaultVMID)
	if o.AdminPort == 0 {
		o.AdminPort = 9901
	}
	if o.Manager == "" {
		return o, fmt.Errorf("the manager address (host:port) is required")
	}
	if _, _, err := splitHostPort(o.Manager); err != nil {
		return o, fmt.Errorf("manager: %w", err)
	}
	if o.XDS == "" {
		host, _, _ := net.SplitHostPort(o.Manager)
		o.XDS = net.JoinHostPort(host, strconv.Itoa(DefaultXDSPort))
	}
	if _, _, err := splitHostPort(o.XDS); err != nil {
		return o, fmt.Errorf("xds: %w", err)
	}
	if _, _, err := splitHostPort(o.Listen); err != nil {
		return o, fmt.Errorf("listen: %w", err)
	}
	for _, t := range []*UpstreamTLSFiles{o.XDSTLS, o.ManagerTLS} {
		if t != nil && (t.CAFile == "" || (t.CertFile == "") != (t.KeyFile == "")) {
			return o, fmt.Errorf("TLS to the manager needs a CA file, and a client certificate goes with its key")
		}
	}
	for _, r := range o.Routes {
		if err := xds.CheckBackendName(r.Backend); err != nil {
			return o, fmt.Errorf("route %s: %w", r.Prefix, err)
		}
	}
	if o.PluginConfig == nil {
		o.PluginConfig = DefaultPluginConfig(o.Environment, o.GatewayToken)
	}
	var obj map[string]any
	if err := json.Unmarshal(o.PluginConfig, &obj); err != nil {
		return o, fmt.Errorf("plugin configuration must be a JSON object: %w", err)
	}
	return o, nil
}

// splitHostPort parses host:port with a port in 1..65535.
func splitHostPort(hp string) (string, uint32, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 || host == "" {
		return "", 0, fmt.Errorf("%q: want host:port", hp)
	}
	return host, uint32(p), nil
}
