package plugin

import (
	"errors"

	"github.com/tidwall/gjson"
)

// Config is the filter's plugin configuration (JSON).
type Config struct {
	// CertHeader is the header a trusted load balancer puts the client certificate in.
	CertHeader string
}

// ParseConfig parses and validates the plugin configuration. Empty means defaults.
func ParseConfig(data []byte) (Config, error) {
	cfg := Config{CertHeader: "x-wso2-client-certificate"}
	if len(data) == 0 {
		return cfg, nil
	}
	if !gjson.ValidBytes(data) {
		return cfg, errors.New("plugin configuration is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return cfg, errors.New("plugin configuration must be a JSON object")
	}
	if v := root.Get("certificateHeader"); v.Exists() {
		if v.Type != gjson.String || v.Str == "" {
			return cfg, errors.New("certificateHeader must be a non-empty string")
		}
		cfg.CertHeader = v.Str
	}
	return cfg, nil
}
