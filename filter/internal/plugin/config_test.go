package plugin

import (
	"strings"
	"testing"
)

func TestParseConfigDefaults(t *testing.T) {
	for _, in := range []string{"", "  ", "{}"} {
		cfg, err := ParseConfig([]byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if cfg.CertHeader != "x-wso2-client-certificate" || cfg.FailMode != FailClosed || cfg.ThrottleKey != ThrottleByCN ||
			cfg.ClockSkew != 60 || cfg.TokenCacheSize != 1024 || cfg.DenyUnknownRoutes || cfg.StripAuthorization ||
			cfg.IdentityPrefix != "x-certgate-" || !cfg.Hops.Empty() || cfg.Sync.Cluster != "" {
			t.Fatalf("%q: defaults %+v", in, cfg)
		}
	}
}

func TestParseConfigFull(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{
		"certificateHeader": "X-Client-Cert",
		"trustedHops": {"cidrs": ["10.0.0.0/8", "::1"], "certificateFingerprints": ["` + strings.Repeat("0f", 32) + `"]},
		"identityHeaderPrefix": "X-Auth-",
		"stripAuthorization": true,
		"failMode": "open",
		"throttleKey": "fingerprint",
		"clockSkewSeconds": 5,
		"tokenCacheSize": 0,
		"unknownRoutes": "deny",
		"sync": {"cluster": "certgate-manager", "environment": "prod", "pollPath": "/v1/poll", "timeoutMillis": 20000,
		         "token": "gw-token", "authority": "manager.internal", "tickMillis": 500, "gatewayId": "edge-1"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CertHeader != "x-client-cert" || cfg.IdentityPrefix != "x-auth-" || !cfg.StripAuthorization || cfg.FailMode != FailOpen ||
		cfg.ThrottleKey != ThrottleByFingerprint || cfg.ClockSkew != 5 || cfg.TokenCacheSize != 0 || !cfg.DenyUnknownRoutes ||
		!cfg.Hops.SourceTrusted("10.9.9.9:1") || !cfg.Hops.HasFingerprints() ||
		cfg.Sync != (SyncConfig{Cluster: "certgate-manager", Environment: "prod", PollPath: "/v1/poll", TimeoutMillis: 20000,
			Token: "gw-token", Authority: "manager.internal", TickMillis: 500, GatewayID: "edge-1"}) {
		t.Fatalf("parsed %+v", cfg)
	}
}

func TestParseConfigRejects(t *testing.T) {
	cases := map[string]string{
		"not-json":          `{`,
		"not-object":        `[]`,
		"unknown-field":     `{"certHeader": "x"}`,
		"empty-header":      `{"certificateHeader": ""}`,
		"bad-header":        `{"certificateHeader": "x y"}`,
		"pseudo-header":     `{"certificateHeader": ":path"}`,
		"authorization":     `{"certificateHeader": "Authorization"}`,
		"bad-fail-mode":     `{"failMode": "sometimes"}`,
		"bad-throttle-key":  `{"throttleKey": "serial"}`,
		"skew-negative":     `{"clockSkewSeconds": -1}`,
		"skew-fraction":     `{"clockSkewSeconds": 1.5}`,
		"cache-too-big":     `{"tokenCacheSize": 100000000}`,
		"strip-not-bool":    `{"stripAuthorization": "yes"}`,
		"bad-cidr":          `{"trustedHops": {"cidrs": ["10.0.0.0/40"]}}`,
		"bad-fingerprint":   `{"trustedHops": {"certificateFingerprints": ["abc"]}}`,
		"hops-unknown":      `{"trustedHops": {"ips": []}}`,
		"cidrs-not-strings": `{"trustedHops": {"cidrs": [1]}}`,
		"bad-routes":        `{"unknownRoutes": "maybe"}`,
		"sync-bad-path":     `{"sync": {"pollPath": "poll"}}`,
		"sync-unknown":      `{"sync": {"url": "http://x"}}`,
		"sync-timeout":      `{"sync": {"timeoutMillis": 5}}`,
		"sync-env-empty":    `{"sync": {"environment": ""}}`,
		"sync-token-empty":  `{"sync": {"token": ""}}`,
		"sync-token-crlf":   `{"sync": {"token": "a\r\nx-evil: 1"}}`,
		"sync-tick-zero":    `{"sync": {"tickMillis": 0}}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseConfig([]byte(in)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"certificateHeader":"x","trustedHops":{"cidrs":["10.0.0.0/8"]}}`))
	f.Add([]byte(`{"sync":{"cluster":"m"}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ParseConfig(b) })
}

func TestSanitizeHeaderValue(t *testing.T) {
	if got := sanitizeHeaderValue("a\r\nb\tc\x7f"); got != "ab\tc" {
		t.Fatalf("%q", got)
	}
	if got := sanitizeHeaderValue("plain"); got != "plain" {
		t.Fatal(got)
	}
}
