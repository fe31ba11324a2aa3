package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	envoyconfig "github.com/certgate/certgate/envoy-config"
)

func init() {
	register(command{name: "envoy-bootstrap", summary: "print a validated Envoy bootstrap for a gateway; see certgate envoy-bootstrap --help",
		run: func(args []string, stdout, stderr io.Writer) int {
			switch err := runEnvoyBootstrap(args, stdout, stderr); {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			default:
				fmt.Fprintln(stderr, "certgate envoy-bootstrap:", err)
				return 2
			}
		}})
}

// bootstrapRoutes collects repeated --route flags.
type bootstrapRoutes []envoyconfig.Route

func (r *bootstrapRoutes) String() string { return fmt.Sprint(len(*r), " routes") }

func (r *bootstrapRoutes) Set(s string) error {
	route, err := envoyconfig.ParseRoute(s)
	if err != nil {
		return err
	}
	*r = append(*r, route)
	return nil
}

// runEnvoyBootstrap implements `certgate envoy-bootstrap`: it writes a
// validated Envoy v3 bootstrap for one gateway to stdout (or --output).
func runEnvoyBootstrap(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("envoy-bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o                              envoyconfig.BootstrapOptions
		routes                         bootstrapRoutes
		pluginFile, output             string
		gatewayTokenFile               string
		xdsCA, xdsCert, xdsKey, xdsSNI string
		mgrCA, mgrCert, mgrKey, mgrSNI string
		adminPort                      uint
	)
	fs.StringVar(&o.Environment, "env", "Default", "environment (group of gateways) this gateway belongs to")
	fs.StringVar(&o.NodeID, "node-id", "certgate-gateway", "Envoy node id (shown in the manager's gateways view)")
	fs.StringVar(&o.Manager, "manager", "", "manager HTTP `host:port` the filter long-polls (required)")
	fs.StringVar(&o.XDS, "xds", "", fmt.Sprintf("manager xDS `host:port` (default: the --manager host, port %d)", envoyconfig.DefaultXDSPort))
	fs.StringVar(&o.Listen, "listen", "0.0.0.0:8443", "downstream TLS listener `host:port`")
	fs.StringVar(&o.FilterWasm, "filter-wasm", "/etc/certgate/certgate-filter.wasm", "`path` of certgate-filter.wasm on the gateway")
	fs.StringVar(&o.ServerCertFile, "server-cert", "/etc/certgate/tls/server.crt", "gateway TLS certificate `file` (PEM)")
	fs.StringVar(&o.ServerKeyFile, "server-key", "/etc/certgate/tls/server.key", "gateway TLS private key `file` (PEM)")
	fs.StringVar(&o.VMID, "vm-id", envoyconfig.DefaultVMID, "Wasm vm_id shared by all workers")
	fs.UintVar(&adminPort, "admin-port", 9901, "Envoy admin port (bound to 127.0.0.1)")
	fs.Var(&routes, "route", "`/PREFIX=BACKEND[=/REWRITE]`: send a path prefix to a backend served by the manager (repeatable)")
	fs.StringVar(&gatewayTokenFile, "gateway-token-file", "", "`file` with the manager's gateway token (<data-dir>/gateway-token), embedded in the default plugin configuration")
	fs.StringVar(&pluginFile, "plugin-config", "", "`file` with the filter's plugin configuration (JSON object; default: manager cluster + environment)")
	fs.StringVar(&xdsCA, "xds-ca", "", "CA `file` for TLS to the xDS port (enables TLS)")
	fs.StringVar(&xdsCert, "xds-cert", "", "client certificate `file` for mutual TLS to the xDS port")
	fs.StringVar(&xdsKey, "xds-key", "", "client key `file` for mutual TLS to the xDS port")
	fs.StringVar(&xdsSNI, "xds-sni", "", "server name for TLS to the xDS port")
	fs.StringVar(&mgrCA, "manager-ca", "", "CA `file` for TLS to the manager HTTP port (enables TLS)")
	fs.StringVar(&mgrCert, "manager-cert", "", "client certificate `file` for mutual TLS to the manager")
	fs.StringVar(&mgrKey, "manager-key", "", "client key `file` for mutual TLS to the manager")
	fs.StringVar(&mgrSNI, "manager-sni", "", "server name for TLS to the manager")
	fs.StringVar(&output, "output", "", "write the bootstrap to this `file` instead of stdout")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: certgate envoy-bootstrap --manager host:port [flags]

Writes an Envoy v3 bootstrap for one certgate gateway: a TLS listener whose
client truststore comes from the manager over ADS, the certgate Wasm filter,
backend clusters over CDS, and the manager cluster the filter long-polls.
The output is validated against Envoy's protos before it is written.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("envoy-bootstrap: unexpected arguments %q", fs.Args())
	}
	if adminPort == 0 || adminPort > 65535 {
		return fmt.Errorf("envoy-bootstrap: --admin-port %d out of range", adminPort)
	}
	o.AdminPort = uint32(adminPort)
	o.Routes = routes
	o.XDSTLS = bootstrapTLS(xdsCA, xdsCert, xdsKey, xdsSNI)
	o.ManagerTLS = bootstrapTLS(mgrCA, mgrCert, mgrKey, mgrSNI)
	if gatewayTokenFile != "" {
		b, err := os.ReadFile(gatewayTokenFile)
		if err != nil {
			return fmt.Errorf("envoy-bootstrap: %w", err)
		}
		o.GatewayToken = strings.TrimSpace(string(b))
	}
	if pluginFile != "" {
		b, err := os.ReadFile(pluginFile)
		if err != nil {
			return fmt.Errorf("envoy-bootstrap: %w", err)
		}
		o.PluginConfig = b
	}
	out, err := envoyconfig.GenerateBootstrap(o)
	if err != nil {
		return fmt.Errorf("envoy-bootstrap: %w", err)
	}
	if output == "" {
		_, err = stdout.Write(out)
		return err
	}
	return os.WriteFile(output, out, 0o644)
}

// bootstrapTLS returns nil when no TLS flag of the group is set.
func bootstrapTLS(ca, cert, key, sni string) *envoyconfig.UpstreamTLSFiles {
	if strings.TrimSpace(ca+cert+key+sni) == "" {
		return nil
	}
	return &envoyconfig.UpstreamTLSFiles{CAFile: ca, CertFile: cert, KeyFile: key, SNI: sni}
}
