package domain

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Security schemes an API may enable (WSO2 names).
const (
	SchemeOAuth2             = "oauth2"
	SchemeMutualSSL          = "mutualssl"
	SchemeMutualSSLMandatory = "mutualssl_mandatory"
	SchemeOAuthMandatory     = "oauth_basic_auth_api_key_mandatory"
)

// SecuritySchemes lists every accepted securityScheme value.
var SecuritySchemes = []string{SchemeOAuth2, SchemeMutualSSL, SchemeMutualSSLMandatory, SchemeOAuthMandatory}

// LifeCycleStatuses lists the accepted lifeCycleStatus values (WSO2's).
var LifeCycleStatuses = []string{"CREATED", "PRE-RELEASED", "PUBLISHED", "BLOCKED", "DEPRECATED", "RETIRED", "PROTOTYPED"}

// API is an API published through certgate.
type API struct {
	ID                  string
	Name                string
	Version             string
	Context             string // "/pizzashack"
	Provider            string
	IsDefaultVersion    bool
	SecurityScheme      []string
	APIThrottlingPolicy string // optional tier name
	ProductionEndpoint  string // URL
	SandboxEndpoint     string // optional URL
	LifeCycleStatus     string
	// GatewayEnvironments are the environments (named groups of gateways,
	// WSO2's gateway environments) the API is deployed to; ["Default"] when
	// none is given.
	GatewayEnvironments []string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Identifier is the API identifier used in throttling keys:
// "<provider>--<name>:v<version>" (seed 002).
func (a API) Identifier() string {
	return a.Provider + "--" + a.Name + ":v" + a.Version
}

// HasScheme reports whether the API enables the given security scheme.
func (a API) HasScheme(s string) bool { return slices.Contains(a.SecurityScheme, s) }

var (
	apiNameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}$`)
	apiVersionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$`)
	apiContextRE = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
	providerRE   = regexp.MustCompile(`^[A-Za-z0-9@._-]{1,64}$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// DefaultEnvironment is the environment of an API that names none (WSO2's
// default gateway environment).
const DefaultEnvironment = "Default"

// ValidateEnvironmentName checks one environment name: 1-64 characters of
// letters, digits, '.', '_' or '-'.
func ValidateEnvironmentName(env string) error {
	if !envNameRE.MatchString(env) {
		return Invalid(CodeValidation, "Invalid gatewayEnvironments",
			"each gateway environment must be 1-64 characters of letters, digits, '.', '_' or '-', got %q", env)
	}
	return nil
}

// Normalize fills defaults (provider "admin", lifeCycleStatus CREATED,
// securityScheme [oauth2]) and canonicalises the scheme list order.
func (a *API) Normalize() {
	a.Name = strings.TrimSpace(a.Name)
	a.Version = strings.TrimSpace(a.Version)
	a.Context = strings.TrimSpace(a.Context)
	if a.Context != "" && !strings.HasPrefix(a.Context, "/") {
		a.Context = "/" + a.Context
	}
	if a.Provider == "" {
		a.Provider = "admin"
	}
	if a.LifeCycleStatus == "" {
		a.LifeCycleStatus = "CREATED"
	}
	if len(a.SecurityScheme) == 0 {
		a.SecurityScheme = []string{SchemeOAuth2}
	}
	if len(a.GatewayEnvironments) == 0 {
		a.GatewayEnvironments = []string{DefaultEnvironment}
	}
	var schemes []string
	for _, s := range SecuritySchemes { // canonical order, duplicates dropped
		if slices.Contains(a.SecurityScheme, s) {
			schemes = append(schemes, s)
		}
	}
	for _, s := range a.SecurityScheme { // keep unknown ones so Validate reports them
		if !slices.Contains(SecuritySchemes, s) {
			schemes = append(schemes, s)
		}
	}
	a.SecurityScheme = schemes
}

// Validate checks every field of a normalized API.
func (a API) Validate() error {
	switch {
	case !apiNameRE.MatchString(a.Name):
		return Invalid(CodeValidation, "Invalid API name", "name must be 1-60 characters of letters, digits, space, '.', '_' or '-', got %q", a.Name)
	case !apiVersionRE.MatchString(a.Version):
		return Invalid(CodeValidation, "Invalid API version", "version must be 1-30 characters of letters, digits, '.', '_' or '-', got %q", a.Version)
	case len(a.Context) > 200 || !apiContextRE.MatchString(a.Context):
		return Invalid(CodeValidation, "Invalid API context", "context must look like /name (segments of letters, digits, '.', '_' or '-'), got %q", a.Context)
	case strings.HasSuffix(a.Context, "/"+a.Version):
		return Invalid(CodeValidation, "Invalid API context", "context %q must not contain the version; it is appended by the gateway", a.Context)
	case !providerRE.MatchString(a.Provider):
		return Invalid(CodeValidation, "Invalid provider", "provider must be 1-64 characters of letters, digits, '@', '.', '_' or '-', got %q", a.Provider)
	case !slices.Contains(LifeCycleStatuses, a.LifeCycleStatus):
		return Invalid(CodeValidation, "Invalid lifeCycleStatus", "lifeCycleStatus must be one of %s, got %q", strings.Join(LifeCycleStatuses, ", "), a.LifeCycleStatus)
	}
	for _, s := range a.SecurityScheme {
		if !slices.Contains(SecuritySchemes, s) {
			return Invalid(CodeValidation, "Invalid securityScheme", "securityScheme values must be among %s, got %q", strings.Join(SecuritySchemes, ", "), s)
		}
	}
	if !a.HasScheme(SchemeOAuth2) && !a.HasScheme(SchemeMutualSSL) {
		return Invalid(CodeValidation, "Invalid securityScheme", "securityScheme must enable at least one of %q or %q", SchemeOAuth2, SchemeMutualSSL)
	}
	if a.HasScheme(SchemeMutualSSLMandatory) && !a.HasScheme(SchemeMutualSSL) {
		return Invalid(CodeValidation, "Invalid securityScheme", "%q requires %q", SchemeMutualSSLMandatory, SchemeMutualSSL)
	}
	if a.HasScheme(SchemeOAuthMandatory) && !a.HasScheme(SchemeOAuth2) {
		return Invalid(CodeValidation, "Invalid securityScheme", "%q requires %q", SchemeOAuthMandatory, SchemeOAuth2)
	}
	if err := validateEnvironments(a.GatewayEnvironments); err != nil {
		return err
	}
	if a.APIThrottlingPolicy != "" && !tierNameRE.MatchString(a.APIThrottlingPolicy) {
		return Invalid(CodeValidation, "Invalid apiThrottlingPolicy", "apiThrottlingPolicy %q is not a valid tier name", a.APIThrottlingPolicy)
	}
	if err := validateEndpoint("production", a.ProductionEndpoint, true); err != nil {
		return err
	}
	return validateEndpoint("sandbox", a.SandboxEndpoint, false)
}

func validateEnvironments(envs []string) error {
	if len(envs) == 0 {
		return Invalid(CodeValidation, "Invalid gatewayEnvironments", "gatewayEnvironments must name at least one environment")
	}
	if len(envs) > 64 {
		return Invalid(CodeValidation, "Invalid gatewayEnvironments", "an API may be deployed to at most 64 environments, got %d", len(envs))
	}
	seen := make(map[string]bool, len(envs))
	for _, e := range envs {
		if err := ValidateEnvironmentName(e); err != nil {
			return err
		}
		if seen[e] {
			return Invalid(CodeValidation, "Invalid gatewayEnvironments", "gateway environment %q is listed twice", e)
		}
		seen[e] = true
	}
	return nil
}

func validateEndpoint(which, raw string, required bool) error {
	if raw == "" && !required {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Invalid(CodeValidation, "Invalid endpointConfig",
			"endpointConfig.%s_endpoints.url must be an absolute http(s) URL without credentials, got %q", which, raw)
	}
	return nil
}
