// Package server wires the manager together: configuration from flags and
// CERTGATE_* environment variables, the admin token, the Badger store, the
// HTTP(S) listener, structured logs and graceful shutdown.
package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certgate/certgate/internal/envflag"
)

// Config is the manager's runtime configuration.
type Config struct {
	Listen         string
	DataDir        string
	AdminToken     string
	AdminTokenFile string
	TLSCert        string
	TLSKey         string
	// GatewayToken/GatewayTokenFile: the credential of the long-poll endpoint (distinct from the admin token).
	GatewayToken     string
	GatewayTokenFile string
	// XDSListen is the ADS gRPC address ("" or "off" disables xDS); XDSTLS* serve it over (mutual) TLS.
	XDSListen      string
	XDSTLSCert     string
	XDSTLSKey      string
	XDSTLSClientCA string
	// EncryptionKey/EncryptionKeyFile: AES key (hex or base64) encrypting the Badger directory.
	EncryptionKey     string
	EncryptionKeyFile string
	LogLevel          string
	ShutdownTimeout   time.Duration
}

// DefaultListen is plain HTTP on loopback.
const DefaultListen = "127.0.0.1:9443"

// DefaultXDSListen is the ADS port `certgate envoy-bootstrap` assumes by default.
const DefaultXDSListen = "127.0.0.1:18000"

// DefaultDataDir is $XDG_DATA_HOME/certgate, else ~/.local/share/certgate,
// else ./certgate-data.
func DefaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "certgate")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "certgate")
	}
	return "certgate-data"
}

// ParseFlags parses "serve" arguments. Each flag defaults to its CERTGATE_*
// environment variable, then to a built-in default; an explicit flag wins.
// flag.ErrHelp is returned after printing the help to out.
func ParseFlags(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var cfg Config
	var shutdown string
	specs := []envflag.Spec{
		{Name: "listen", Env: "CERTGATE_LISTEN", Default: DefaultListen, Usage: "address to listen on (host:port); plain HTTP unless --tls-cert/--tls-key are set", Target: &cfg.Listen},
		{Name: "data-dir", Env: "CERTGATE_DATA_DIR", Default: DefaultDataDir(getenv), Usage: "directory of the Badger store and the generated admin token", Target: &cfg.DataDir},
		{Name: "admin-token", Env: "CERTGATE_ADMIN_TOKEN", Usage: "admin bearer token (prefer the file or env var: flags show in ps)", Target: &cfg.AdminToken, Secret: true},
		{Name: "admin-token-file", Env: "CERTGATE_ADMIN_TOKEN_FILE", Usage: "file holding the admin token; default <data-dir>/admin-token, generated (0600) on first start", Target: &cfg.AdminTokenFile},
		{Name: "tls-cert", Env: "CERTGATE_TLS_CERT", Usage: "PEM certificate (chain) to serve HTTPS", Target: &cfg.TLSCert},
		{Name: "tls-key", Env: "CERTGATE_TLS_KEY", Usage: "PEM private key of --tls-cert", Target: &cfg.TLSKey},
		{Name: "gateway-token", Env: "CERTGATE_GATEWAY_TOKEN", Usage: "bearer token gateways present on " + "/gateway/v1/snapshot (distinct from the admin token)", Target: &cfg.GatewayToken, Secret: true},
		{Name: "gateway-token-file", Env: "CERTGATE_GATEWAY_TOKEN_FILE", Usage: "file holding the gateway token; default <data-dir>/gateway-token, generated (0600) on first start", Target: &cfg.GatewayTokenFile},
		{Name: "xds-listen", Env: "CERTGATE_XDS_LISTEN", Default: DefaultXDSListen, Usage: "address of the xDS (ADS gRPC) server for Envoy gateways; \"off\" disables it", Target: &cfg.XDSListen},
		{Name: "xds-tls-cert", Env: "CERTGATE_XDS_TLS_CERT", Usage: "PEM certificate to serve xDS over TLS (recommended: backend private keys travel in SDS secrets)", Target: &cfg.XDSTLSCert},
		{Name: "xds-tls-key", Env: "CERTGATE_XDS_TLS_KEY", Usage: "PEM private key of --xds-tls-cert", Target: &cfg.XDSTLSKey},
		{Name: "xds-client-ca", Env: "CERTGATE_XDS_CLIENT_CA", Usage: "PEM CA bundle: require and verify gateway client certificates on the xDS port", Target: &cfg.XDSTLSClientCA},
		{Name: "encryption-key", Env: "CERTGATE_ENCRYPTION_KEY", Usage: "AES key (16/24/32 bytes, hex or base64) encrypting the data directory at rest; required to store backend client keys; a directory cannot change its encryption setting", Target: &cfg.EncryptionKey, Secret: true},
		{Name: "encryption-key-file", Env: "CERTGATE_ENCRYPTION_KEY_FILE", Usage: "file holding --encryption-key", Target: &cfg.EncryptionKeyFile},
		{Name: "log-level", Env: "CERTGATE_LOG_LEVEL", Default: "info", Usage: "log level: debug, info, warn, error", Target: &cfg.LogLevel},
		{Name: "shutdown-timeout", Env: "CERTGATE_SHUTDOWN_TIMEOUT", Default: "10s", Usage: "how long to wait for in-flight requests on SIGINT/SIGTERM", Target: &shutdown},
	}
	fs := flag.NewFlagSet("certgate serve", flag.ContinueOnError)
	fs.SetOutput(out)
	envflag.Register(fs, specs, getenv)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: certgate serve [flags]\n\nStarts the manager: the Publisher REST API (%s) over a Badger store.\n\nFlags (each also read from its environment variable; the flag wins):\n", "/api/am/publisher/v4")
		envflag.PrintUsage(out, specs)
		fmt.Fprintf(out, "\nUnauthenticated: /healthz, /readyz, /metrics. /gateway/v1/snapshot needs \"Authorization: Bearer <gateway token>\"; everything else needs \"Authorization: Bearer <admin token>\".\n")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	d, err := time.ParseDuration(shutdown)
	if err != nil || d < 0 {
		return cfg, fmt.Errorf("--shutdown-timeout: invalid duration %q", shutdown)
	}
	cfg.ShutdownTimeout = d
	return cfg, cfg.Validate()
}

// Validate checks flag combinations.
func (c Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("--listen is required")
	case c.DataDir == "":
		return errors.New("--data-dir is required")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case c.AdminToken != "" && c.AdminTokenFile != "":
		return errors.New("set either --admin-token or --admin-token-file, not both")
	case c.GatewayToken != "" && c.GatewayTokenFile != "":
		return errors.New("set either --gateway-token or --gateway-token-file, not both")
	case (c.XDSTLSCert == "") != (c.XDSTLSKey == ""):
		return errors.New("--xds-tls-cert and --xds-tls-key go together")
	case c.EncryptionKey != "" && c.EncryptionKeyFile != "":
		return errors.New("set either --encryption-key or --encryption-key-file, not both")
	case c.XDSTLSClientCA != "" && c.XDSTLSCert == "":
		return errors.New("--xds-client-ca needs --xds-tls-cert/--xds-tls-key")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level must be debug, info, warn or error, got %q", c.LogLevel)
	}
	return nil
}
