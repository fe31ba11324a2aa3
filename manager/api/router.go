package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// BasePath is the prefix of every REST endpoint (WSO2 Publisher REST API v4).
const BasePath = "/api/am/publisher/v4"

// MaxBodyBytes limits every request body (certificate uploads included)
// except backend profiles'.
const MaxBodyBytes = 64 << 10

// MaxProfileBodyBytes limits backend-profile uploads (a JKS or PKCS#12 key
// store with a chain and a trust store of several CAs fits easily). Their
// multipart bodies are parsed in memory only: key stores never reach a
// temporary file.
const MaxProfileBodyBytes = 256 << 10

// Config holds the router's dependencies.
type Config struct {
	Store      domain.Store
	AdminToken string // required; compared in constant time
	Logger     *slog.Logger
	Metrics    *Metrics         // nil: no /metrics and no request metrics
	Now        func() time.Time // nil: time.Now
	// Mount, when set, adds routes of other components (for example the
	// gateways' config endpoints): root is unauthenticated, admin requires
	// the admin token. Errors passed to c.Error render like all others.
	Mount func(root *gin.Engine, admin *gin.RouterGroup)
}

type handlers struct {
	store domain.Store
	log   *slog.Logger
	now   func() time.Time
}

// New builds the HTTP handler.
func New(cfg Config) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	h := &handlers{store: cfg.Store, log: cfg.Logger, now: cfg.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	_ = r.SetTrustedProxies(nil) // log the peer address, not a forgeable X-Forwarded-For
	r.Use(recovery(h.log), requestLog(h.log))
	if cfg.Metrics != nil {
		r.Use(cfg.Metrics.middleware())
		r.GET("/metrics", gin.WrapH(cfg.Metrics.Handler()))
	}
	r.Use(renderErrors(h.log), limitBody())
	r.NoRoute(func(c *gin.Context) { c.Error(errNoRoute(c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) { c.Error(errNoMethod(c.Request.Method)) })

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, statusDTO{Status: "ok"}) })
	r.GET("/readyz", h.ready)

	v4 := r.Group(BasePath, requireAdmin(cfg.AdminToken))
	v4.GET("/openapi.yaml", serveOpenAPI)
	v4.GET("/apis", h.listAPIs)
	v4.POST("/apis", h.createAPI)
	v4.GET("/apis/:apiId", h.getAPI)
	v4.PUT("/apis/:apiId", h.updateAPI)
	v4.DELETE("/apis/:apiId", h.deleteAPI)
	v4.GET("/apis/:apiId/client-certificates", h.listCerts)
	v4.POST("/apis/:apiId/client-certificates", h.uploadCert)
	v4.GET("/apis/:apiId/client-certificates/:alias", h.getCert)
	v4.PUT("/apis/:apiId/client-certificates/:alias", h.updateCert)
	v4.DELETE("/apis/:apiId/client-certificates/:alias", h.deleteCert)
	v4.GET("/apis/:apiId/client-certificates/:alias/content", h.certContent)
	v4.GET("/throttling-policies/subscription", h.listTiers)
	v4.POST("/throttling-policies/subscription", h.createTier)
	v4.GET("/throttling-policies/subscription/:policyName", h.getTier)
	v4.PUT("/throttling-policies/subscription/:policyName", h.updateTier)
	v4.DELETE("/throttling-policies/subscription/:policyName", h.deleteTier)
	v4.GET(profilesPath, h.listProfiles)
	v4.POST(profilesPath, h.createProfile)
	v4.GET(profilesPath+"/:name", h.getProfile)
	v4.PUT(profilesPath+"/:name", h.updateProfile)
	v4.DELETE(profilesPath+"/:name", h.deleteProfile)
	v4.GET("/audit", h.listAudit)
	v4.GET("/config-version", h.configVersion)
	if cfg.Mount != nil {
		cfg.Mount(r, v4)
	}
	return r
}

type statusDTO struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (h *handlers) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ready(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, statusDTO{Status: "unavailable", Error: "store not ready"})
		return
	}
	c.JSON(http.StatusOK, statusDTO{Status: "ok"})
}

type versionDTO struct {
	Version uint64 `json:"version"`
}

func (h *handlers) configVersion(c *gin.Context) {
	c.JSON(http.StatusOK, versionDTO{Version: h.store.ConfigVersion()})
}
