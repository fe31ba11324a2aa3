package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// apiDTO is the API resource (WSO2 Publisher v4 field names). id,
// apiIdentifier, createdTime and lastUpdatedTime are read-only: accepted on
// input (so GET-modify-PUT works) and ignored.
type apiDTO struct {
	ID                  string             `json:"id,omitempty"`
	Name                string             `json:"name"`
	Version             string             `json:"version"`
	Context             string             `json:"context"`
	Provider            string             `json:"provider,omitempty"`
	IsDefaultVersion    bool               `json:"isDefaultVersion"`
	SecurityScheme      []string           `json:"securityScheme"`
	APIThrottlingPolicy string             `json:"apiThrottlingPolicy,omitempty"`
	EndpointConfig      *endpointConfigDTO `json:"endpointConfig"`
	LifeCycleStatus     string             `json:"lifeCycleStatus,omitempty"`
	GatewayEnvironments []string           `json:"gatewayEnvironments,omitempty"`
	APIIdentifier       string             `json:"apiIdentifier,omitempty"`
	CreatedTime         string             `json:"createdTime,omitempty"`
	LastUpdatedTime     string             `json:"lastUpdatedTime,omitempty"`
}

type endpointConfigDTO struct {
	EndpointType        string       `json:"endpoint_type,omitempty"`
	ProductionEndpoints *endpointDTO `json:"production_endpoints,omitempty"`
	SandboxEndpoints    *endpointDTO `json:"sandbox_endpoints,omitempty"`
}

type endpointDTO struct {
	URL string `json:"url"`
}

type apiListDTO struct {
	Count      int           `json:"count"`
	List       []apiDTO      `json:"list"`
	Pagination paginationDTO `json:"pagination"`
}

func toAPIDTO(a domain.API) apiDTO {
	ec := &endpointConfigDTO{EndpointType: "http", ProductionEndpoints: &endpointDTO{URL: a.ProductionEndpoint}}
	if a.SandboxEndpoint != "" {
		ec.SandboxEndpoints = &endpointDTO{URL: a.SandboxEndpoint}
	}
	return apiDTO{
		ID: a.ID, Name: a.Name, Version: a.Version, Context: a.Context, Provider: a.Provider,
		IsDefaultVersion: a.IsDefaultVersion, SecurityScheme: a.SecurityScheme,
		APIThrottlingPolicy: a.APIThrottlingPolicy, EndpointConfig: ec, LifeCycleStatus: a.LifeCycleStatus,
		GatewayEnvironments: a.GatewayEnvironments,
		APIIdentifier:       a.Identifier(), CreatedTime: a.CreatedAt.Format(time.RFC3339), LastUpdatedTime: a.UpdatedAt.Format(time.RFC3339),
	}
}

func (d apiDTO) domain() (domain.API, error) {
	a := domain.API{
		Name: d.Name, Version: d.Version, Context: d.Context, Provider: d.Provider,
		IsDefaultVersion: d.IsDefaultVersion, SecurityScheme: d.SecurityScheme,
		APIThrottlingPolicy: d.APIThrottlingPolicy, LifeCycleStatus: d.LifeCycleStatus,
		GatewayEnvironments: d.GatewayEnvironments,
	}
	if d.EndpointConfig != nil {
		if t := d.EndpointConfig.EndpointType; t != "" && t != "http" {
			return a, domain.Invalid(domain.CodeValidation, "Invalid endpointConfig", "endpoint_type must be \"http\", got %q", t)
		}
		if d.EndpointConfig.ProductionEndpoints != nil {
			a.ProductionEndpoint = d.EndpointConfig.ProductionEndpoints.URL
		}
		if d.EndpointConfig.SandboxEndpoints != nil {
			a.SandboxEndpoint = d.EndpointConfig.SandboxEndpoints.URL
		}
	}
	a.Normalize()
	return a, a.Validate()
}

func (h *handlers) listAPIs(c *gin.Context) {
	offset, limit, err := paging(c)
	if err != nil {
		c.Error(err)
		return
	}
	all, err := h.store.ListAPIs(c.Request.Context())
	if err != nil {
		c.Error(err)
		return
	}
	out := apiListDTO{List: []apiDTO{}, Pagination: paginate("/apis", nil, offset, limit, len(all))}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		out.List = append(out.List, toAPIDTO(all[i]))
	}
	out.Count = len(out.List)
	c.JSON(http.StatusOK, out)
}

func (h *handlers) createAPI(c *gin.Context) {
	var in apiDTO
	if err := decodeJSON(c, &in); err != nil {
		c.Error(err)
		return
	}
	a, err := in.domain()
	if err != nil {
		c.Error(err)
		return
	}
	a, err = h.store.CreateAPI(c.Request.Context(), a)
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Location", BasePath+"/apis/"+a.ID)
	c.JSON(http.StatusCreated, toAPIDTO(a))
}

func (h *handlers) getAPI(c *gin.Context) {
	a, err := h.store.GetAPI(c.Request.Context(), c.Param("apiId"))
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toAPIDTO(a))
}

func (h *handlers) updateAPI(c *gin.Context) {
	id := c.Param("apiId")
	var in apiDTO
	if err := decodeJSON(c, &in); err != nil {
		c.Error(err)
		return
	}
	if in.ID != "" && in.ID != id {
		c.Error(domain.Invalid(domain.CodeValidation, "Invalid id", "the body's id %q does not match the path's %q", in.ID, id))
		return
	}
	a, err := in.domain()
	if err != nil {
		c.Error(err)
		return
	}
	a.ID = id
	a, err = h.store.UpdateAPI(c.Request.Context(), a)
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toAPIDTO(a))
}

func (h *handlers) deleteAPI(c *gin.Context) {
	if err := h.store.DeleteAPI(c.Request.Context(), c.Param("apiId")); err != nil {
		c.Error(err)
		return
	}
	c.Status(http.StatusOK)
}
