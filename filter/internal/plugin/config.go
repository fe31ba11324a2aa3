package plugin

import (
	"errors"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/certgate/certgate/filter/internal/hop"
	"github.com/certgate/certgate/shared"
)

// Fail modes when no snapshot has been loaded into shared data yet.
const (
	FailClosed = "closed"
	FailOpen   = "open"
)

// Throttle key modes.
const (
	ThrottleByCN          = "cn"
	ThrottleByFingerprint = "fingerprint"
)

// Config is the filter's plugin configuration (JSON). Every field is optional.
//
//	{
//	  "certificateHeader": "X-WSO2-CLIENT-CERTIFICATE",
//	  "trustedHops": {"cidrs": ["10.0.0.0/8"], "certificateFingerprints": ["<sha256 hex>"]},
//	  "identityHeaderPrefix": "x-certgate-",
//	  "stripAuthorization": false,
//	  "failMode": "closed",            // or "open": pass requests while no data is loaded
//	  "throttleKey": "cn",             // or "fingerprint"
//	  "clockSkewSeconds": 60,
//	  "tokenCacheSize": 1024,
//	  "unknownRoutes": "pass",         // or "deny": 404 for paths that match no API
//	  "sync": {"cluster": "certgate-manager", "environment": "Default",
//	           "token": "<gateway token>", "authority": "certgate-manager",
//	           "pollPath": "/gateway/v1/snapshot", "timeoutMillis": 30000,
//	           "tickMillis": 1000, "gatewayId": "<name shown in the manager>"}
//	}
type Config struct {
	// CertHeader is the (lowercase) header a trusted load balancer puts the client certificate in.
	CertHeader string
	// Hops are the trusted load balancers.
	Hops hop.Trusted
	// IdentityPrefix prefixes the identity headers sent upstream.
	IdentityPrefix string
	// StripAuthorization removes Authorization before the request goes upstream.
	StripAuthorization bool
	// FailMode is FailClosed (503) or FailOpen while no data is loaded.
	FailMode string
	// ThrottleKey is ThrottleByCN or ThrottleByFingerprint.
	ThrottleKey string
	// ClockSkew is the tolerance for exp/nbf, seconds.
	ClockSkew int64
	// TokenCacheSize bounds the verified-token cache (0 disables it).
	TokenCacheSize int
	// DenyUnknownRoutes answers 404 for paths that match no API instead of passing them through.
	DenyUnknownRoutes bool
	// Sync is the long-poll to the manager that keeps shared data current.
	Sync SyncConfig
}

// SyncConfig locates the manager's long-poll endpoint.
type SyncConfig struct {
	// Cluster is the Envoy cluster of the manager; empty disables sync.
	Cluster     string
	Environment string
	// Token is the manager's gateway token (sent as a bearer token; never logged).
	Token string
	// Authority is the :authority of poll requests (default: Cluster).
	Authority string
	PollPath  string
	// TimeoutMillis bounds one poll; the manager is asked to hold it a little less.
	TimeoutMillis int64
	// TickMillis is how often VMs renew the poll lease and retry after failures.
	TickMillis int64
	// GatewayID names this gateway in the manager's gateways view (default: a random id per VM).
	GatewayID string
}

// DefaultConfig returns the configuration used for an empty plugin configuration.
func DefaultConfig() Config {
	return Config{
		CertHeader:     shared.HeaderClientCertificate,
		IdentityPrefix: shared.DefaultIdentityPrefix,
		FailMode:       FailClosed,
		ThrottleKey:    ThrottleByCN,
		ClockSkew:      60,
		TokenCacheSize: 1024,
		Sync:           SyncConfig{Environment: shared.DefaultEnvironment, PollPath: shared.SnapshotPath, TimeoutMillis: 30000, TickMillis: 1000},
	}
}

var knownFields = map[string]bool{
	"certificateHeader": true, "trustedHops": true, "identityHeaderPrefix": true, "stripAuthorization": true,
	"failMode": true, "throttleKey": true, "clockSkewSeconds": true, "tokenCacheSize": true,
	"unknownRoutes": true, "sync": true,
}

// ParseConfig parses and validates the plugin configuration; empty means defaults.
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	if len(strings.TrimSpace(string(data))) == 0 {
		return cfg, nil
	}
	if !gjson.ValidBytes(data) {
		return cfg, errors.New("plugin configuration is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return cfg, errors.New("plugin configuration must be a JSON object")
	}
	var err error
	root.ForEach(func(k, _ gjson.Result) bool {
		if !knownFields[k.String()] {
			err = errors.New("unknown field " + k.Raw)
			return false
		}
		return true
	})
	if err != nil {
		return cfg, err
	}
	if cfg.CertHeader, err = headerName(root.Get("certificateHeader"), "certificateHeader", cfg.CertHeader); err != nil {
		return cfg, err
	}
	if cfg.IdentityPrefix, err = headerName(root.Get("identityHeaderPrefix"), "identityHeaderPrefix", cfg.IdentityPrefix); err != nil {
		return cfg, err
	}
	if cfg.CertHeader == shared.HeaderAuthorization || strings.HasPrefix(cfg.CertHeader, ":") {
		return cfg, errors.New("certificateHeader must not be a pseudo-header or authorization")
	}
	if cfg.StripAuthorization, err = boolean(root.Get("stripAuthorization"), "stripAuthorization", false); err != nil {
		return cfg, err
	}
	if cfg.FailMode, err = enum(root.Get("failMode"), "failMode", FailClosed, FailOpen); err != nil {
		return cfg, err
	}
	if cfg.ThrottleKey, err = enum(root.Get("throttleKey"), "throttleKey", ThrottleByCN, ThrottleByFingerprint); err != nil {
		return cfg, err
	}
	routes, err := enum(root.Get("unknownRoutes"), "unknownRoutes", "pass", "deny")
	if err != nil {
		return cfg, err
	}
	cfg.DenyUnknownRoutes = routes == "deny"
	if cfg.ClockSkew, err = integer(root.Get("clockSkewSeconds"), "clockSkewSeconds", cfg.ClockSkew, 0, 3600); err != nil {
		return cfg, err
	}
	size, err := integer(root.Get("tokenCacheSize"), "tokenCacheSize", int64(cfg.TokenCacheSize), 0, 1<<17)
	if err != nil {
		return cfg, err
	}
	cfg.TokenCacheSize = int(size)
	if cfg.Hops, err = parseHops(root.Get("trustedHops")); err != nil {
		return cfg, err
	}
	if cfg.Sync, err = parseSync(root.Get("sync"), cfg.Sync); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func parseHops(v gjson.Result) (hop.Trusted, error) {
	if !v.Exists() {
		return hop.Trusted{}, nil
	}
	if !v.IsObject() {
		return hop.Trusted{}, errors.New("trustedHops must be an object")
	}
	var bad error
	v.ForEach(func(k, _ gjson.Result) bool {
		if s := k.String(); s != "cidrs" && s != "certificateFingerprints" {
			bad = errors.New("trustedHops: unknown field " + k.Raw)
			return false
		}
		return true
	})
	if bad != nil {
		return hop.Trusted{}, bad
	}
	cidrs, err := strings1(v.Get("cidrs"), "trustedHops.cidrs")
	if err != nil {
		return hop.Trusted{}, err
	}
	fps, err := strings1(v.Get("certificateFingerprints"), "trustedHops.certificateFingerprints")
	if err != nil {
		return hop.Trusted{}, err
	}
	t, err := hop.Parse(cidrs, fps)
	if err != nil {
		return hop.Trusted{}, errors.New("trustedHops: " + err.Error())
	}
	return t, nil
}

func parseSync(v gjson.Result, def SyncConfig) (SyncConfig, error) {
	if !v.Exists() {
		return def, nil
	}
	if !v.IsObject() {
		return def, errors.New("sync must be an object")
	}
	s := def
	var err error
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.String() {
		case "cluster", "environment", "token", "authority", "pollPath", "timeoutMillis", "tickMillis", "gatewayId":
			return true
		}
		err = errors.New("sync: unknown field " + k.Raw)
		return false
	})
	if err != nil {
		return def, err
	}
	if c := v.Get("cluster"); c.Exists() {
		if c.Type != gjson.String {
			return def, errors.New("sync.cluster must be a string")
		}
		s.Cluster = c.Str
	}
	for _, f := range []struct {
		name   string
		target *string
	}{{"token", &s.Token}, {"authority", &s.Authority}, {"gatewayId", &s.GatewayID}} {
		if x := v.Get(f.name); x.Exists() {
			if x.Type != gjson.String || x.Str == "" || strings.ContainsAny(x.Str, "\r\n") {
				return def, errors.New("sync." + f.name + " must be a non-empty single-line string")
			}
			*f.target = x.Str
		}
	}
	if e := v.Get("environment"); e.Exists() {
		if e.Type != gjson.String || e.Str == "" {
			return def, errors.New("sync.environment must be a non-empty string")
		}
		s.Environment = e.Str
	}
	if p := v.Get("pollPath"); p.Exists() {
		if p.Type != gjson.String || !strings.HasPrefix(p.Str, "/") || strings.ContainsAny(p.Str, " \t\r\n") {
			return def, errors.New("sync.pollPath must be an absolute path")
		}
		s.PollPath = p.Str
	}
	if s.TimeoutMillis, err = integer(v.Get("timeoutMillis"), "sync.timeoutMillis", s.TimeoutMillis, 1000, 600000); err != nil {
		return def, err
	}
	if s.TickMillis, err = integer(v.Get("tickMillis"), "sync.tickMillis", s.TickMillis, 10, 60000); err != nil {
		return def, err
	}
	return s, nil
}

// headerName validates an HTTP header name (RFC 9110 token) and lowercases it.
func headerName(v gjson.Result, field, def string) (string, error) {
	if !v.Exists() {
		return def, nil
	}
	if v.Type != gjson.String || v.Str == "" {
		return def, errors.New(field + " must be a non-empty string")
	}
	for i := 0; i < len(v.Str); i++ {
		c := v.Str[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return def, errors.New(field + " is not a valid header name")
		}
	}
	return strings.ToLower(v.Str), nil
}

func boolean(v gjson.Result, field string, def bool) (bool, error) {
	if !v.Exists() {
		return def, nil
	}
	if v.Type != gjson.True && v.Type != gjson.False {
		return def, errors.New(field + " must be true or false")
	}
	return v.Bool(), nil
}

func enum(v gjson.Result, field string, values ...string) (string, error) {
	if !v.Exists() {
		return values[0], nil
	}
	if v.Type == gjson.String {
		for _, s := range values {
			if v.Str == s {
				return s, nil
			}
		}
	}
	return values[0], errors.New(field + " must be one of \"" + strings.Join(values, "\", \"") + "\"")
}

func integer(v gjson.Result, field string, def, min, max int64) (int64, error) {
	if !v.Exists() {
		return def, nil
	}
	if v.Type != gjson.Number || v.Num != float64(int64(v.Num)) || v.Int() < min || v.Int() > max {
		return def, errors.New(field + " must be an integer in range")
	}
	return v.Int(), nil
}

func strings1(v gjson.Result, field string) ([]string, error) {
	if !v.Exists() {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, errors.New(field + " must be an array of strings")
	}
	var out []string
	var err error
	v.ForEach(func(_, e gjson.Result) bool {
		if e.Type != gjson.String {
			err = errors.New(field + " must be an array of strings")
			return false
		}
		out = append(out, e.Str)
		return true
	})
	return out, err
}
