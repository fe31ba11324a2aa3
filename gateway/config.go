package gateway

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate/internal/envflag"
)

// Config is the local gateway's configuration.
type Config struct {
	// Listen is the HTTPS address (host:port) downstream clients connect to.
	Listen string
	// TLSCert/TLSKey are the server certificate; when both are empty a
	// self-signed CA and a localhost server certificate are generated in DataDir.
	TLSCert, TLSKey string
	// DataDir holds the generated TLS files (gateway-ca.crt is what curl --cacert needs).
	DataDir string
	// Manager is the manager's base URL (http://host:port) the filter long-polls.
	Manager string
	// ManagerDataDir, when set, locates the default gateway token file.
	ManagerDataDir string
	// GatewayTokenFile holds the manager's gateway token.
	GatewayTokenFile string
	// Env is the gateway environment whose APIs this gateway enforces.
	Env string
	// GatewayID names this gateway in the manager's gateways view.
	GatewayID string
	// FilterWasm is the compiled certgate filter.
	FilterWasm string
	// PluginConfig is an optional file with the filter's plugin configuration
	// (JSON object); the gateway fills in "sync" (cluster, token, environment).
	PluginConfig string
	// Workers is the number of filter VMs (Envoy worker threads).
	Workers int
	// Backend is the upstream of every allowed request; empty = the built-in echo backend.
	Backend string
	// MaxBodyBytes bounds request bodies (413 above it).
	MaxBodyBytes int64
	// UpstreamTimeout bounds the wait for the backend's response headers.
	UpstreamTimeout time.Duration
	// TokenWait is how long to wait at start for the gateway token file to appear.
	TokenWait time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
}

// Defaults.
const (
	DefaultListen       = "127.0.0.1:8443"
	DefaultManager      = "http://127.0.0.1:9443"
	DefaultFilterWasm   = "build/certgate-filter.wasm"
	DefaultWorkers      = 2
	DefaultMaxBodyBytes = 1 << 20
	// ManagerCluster is the Envoy cluster name the filter's sync config points at.
	ManagerCluster = "certgate-manager"
)

// DefaultDataDir is $XDG_DATA_HOME/certgate-gateway, else
// ~/.local/share/certgate-gateway, else ./certgate-gateway-data.
func DefaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "certgate-gateway")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "certgate-gateway")
	}
	return "certgate-gateway-data"
}

// ParseFlags parses `certgate gateway` arguments. Each flag defaults to its
// CERTGATE_GATEWAY_* environment variable, then to a built-in default; an
// explicit flag wins. flag.ErrHelp is returned after printing the help to out.
func ParseFlags(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var cfg Config
	var workers, maxBody, timeout, tokenWait string
	specs := []envflag.Spec{
		{Name: "listen", Env: "CERTGATE_GATEWAY_LISTEN", Default: DefaultListen, Usage: "HTTPS address (host:port) clients call", Target: &cfg.Listen},
		{Name: "tls-cert", Env: "CERTGATE_GATEWAY_TLS_CERT", Usage: "PEM server certificate (chain); default: a self-signed one for localhost/127.0.0.1 generated in --data-dir", Target: &cfg.TLSCert},
		{Name: "tls-key", Env: "CERTGATE_GATEWAY_TLS_KEY", Usage: "PEM private key of --tls-cert", Target: &cfg.TLSKey},
		{Name: "data-dir", Env: "CERTGATE_GATEWAY_DATA_DIR", Default: DefaultDataDir(getenv), Usage: "directory of the generated TLS files (gateway-ca.crt is the curl --cacert file)", Target: &cfg.DataDir},
		{Name: "manager", Env: "CERTGATE_GATEWAY_MANAGER", Default: DefaultManager, Usage: "manager base URL the filter long-polls (http://host:port)", Target: &cfg.Manager},
		{Name: "manager-data-dir", Env: "CERTGATE_GATEWAY_MANAGER_DATA_DIR", Usage: "the manager's --data-dir; locates the default --gateway-token-file", Target: &cfg.ManagerDataDir},
		{Name: "gateway-token-file", Env: "CERTGATE_GATEWAY_TOKEN_FILE", Usage: "file holding the manager's gateway token; default <manager-data-dir>/gateway-token", Target: &cfg.GatewayTokenFile},
		{Name: "env", Env: "CERTGATE_GATEWAY_ENV", Default: "Default", Usage: "gateway environment whose APIs are enforced", Target: &cfg.Env},
		{Name: "gateway-id", Env: "CERTGATE_GATEWAY_ID", Default: "local-gateway", Usage: "name of this gateway in the manager's gateways view", Target: &cfg.GatewayID},
		{Name: "filter-wasm", Env: "CERTGATE_GATEWAY_FILTER_WASM", Default: DefaultFilterWasm, Usage: "compiled certgate filter (make build)", Target: &cfg.FilterWasm},
		{Name: "plugin-config", Env: "CERTGATE_GATEWAY_PLUGIN_CONFIG", Usage: "file with the filter's plugin configuration (JSON object, e.g. trustedHops); \"sync\" is filled in", Target: &cfg.PluginConfig},
		{Name: "workers", Env: "CERTGATE_GATEWAY_WORKERS", Default: strconv.Itoa(DefaultWorkers), Usage: "number of filter VMs (Envoy worker threads); requests go round-robin", Target: &workers},
		{Name: "backend", Env: "CERTGATE_GATEWAY_BACKEND", Usage: "upstream URL of every allowed request; default: a built-in echo backend on a loopback port", Target: &cfg.Backend},
		{Name: "max-body-bytes", Env: "CERTGATE_GATEWAY_MAX_BODY_BYTES", Default: strconv.Itoa(DefaultMaxBodyBytes), Usage: "largest request body accepted (413 above)", Target: &maxBody},
		{Name: "upstream-timeout", Env: "CERTGATE_GATEWAY_UPSTREAM_TIMEOUT", Default: "30s", Usage: "how long to wait for the backend's response headers (503 after)", Target: &timeout},
		{Name: "token-wait", Env: "CERTGATE_GATEWAY_TOKEN_WAIT", Default: "15s", Usage: "how long to wait at start for the gateway token file (the manager writes it on first start)", Target: &tokenWait},
		{Name: "log-level", Env: "CERTGATE_GATEWAY_LOG_LEVEL", Default: "info", Usage: "log level: debug, info, warn, error", Target: &cfg.LogLevel},
	}
	fs := flag.NewFlagSet("certgate gateway", flag.ContinueOnError)
	fs.SetOutput(out)
	envflag.Register(fs, specs, getenv)
	fs.Usage = func() {
		fmt.Fprint(out, `Usage: certgate gateway [flags]

Runs a local HTTPS gateway without Envoy: the compiled certgate filter in
wasmtest VMs (as Envoy would run it) in front of one backend, kept current
from the manager's long-poll. For demos and tests; production uses Envoy.

Flags (each also read from its environment variable; the flag wins):
`)
		envflag.PrintUsage(out, specs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var err error
	if cfg.Workers, err = strconv.Atoi(workers); err != nil || cfg.Workers < 1 || cfg.Workers > 64 {
		return cfg, fmt.Errorf("--workers: want 1..64, got %q", workers)
	}
	if cfg.MaxBodyBytes, err = strconv.ParseInt(maxBody, 10, 64); err != nil || cfg.MaxBodyBytes < 0 {
		return cfg, fmt.Errorf("--max-body-bytes: invalid size %q", maxBody)
	}
	if cfg.UpstreamTimeout, err = time.ParseDuration(timeout); err != nil || cfg.UpstreamTimeout <= 0 {
		return cfg, fmt.Errorf("--upstream-timeout: invalid duration %q", timeout)
	}
	if cfg.TokenWait, err = time.ParseDuration(tokenWait); err != nil || cfg.TokenWait < 0 {
		return cfg, fmt.Errorf("--token-wait: invalid duration %q", tokenWait)
	}
	if cfg.GatewayTokenFile == "" && cfg.ManagerDataDir != "" {
		cfg.GatewayTokenFile = filepath.Join(cfg.ManagerDataDir, "gateway-token")
	}
	return cfg, cfg.Validate()
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("--listen is required")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case c.TLSCert == "" && c.DataDir == "":
		return errors.New("--data-dir is required for the generated certificate")
	case c.GatewayTokenFile == "":
		return errors.New("--gateway-token-file (or --manager-data-dir) is required: the manager's long-poll needs its gateway token")
	case c.FilterWasm == "":
		return errors.New("--filter-wasm is required")
	case c.Env == "":
		return errors.New("--env must not be empty")
	case c.Workers < 1:
		return errors.New("--workers must be at least 1")
	}
	if err := httpURL(c.Manager, "--manager"); err != nil {
		return err
	}
	if c.Backend != "" {
		if err := httpURL(c.Backend, "--backend"); err != nil {
			return err
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level must be debug, info, warn or error, got %q", c.LogLevel)
	}
	return nil
}

func httpURL(s, flagName string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: want an http(s)://host:port URL, got %q", flagName, s)
	}
	return nil
}
