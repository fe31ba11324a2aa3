package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// tierDTO is a subscription throttling policy (WSO2 ThrottlingPolicyDTO
// subset, plus "unlimited"). policyLevel is read-only.
type tierDTO struct {
	Name         string `json:"name"`
	DisplayName  string `json:"displayName,omitempty"`
	Description  string `json:"description,omitempty"`
	PolicyLevel  string `json:"policyLevel,omitempty"`
	RequestCount int64  `json:"requestCount"`
	UnitTime     int64  `json:"unitTime"`
	TimeUnit     string `json:"timeUnit"`
	Unlimited    bool   `json:"unlimited"`
}

type tierListDTO struct {
	Count int       `json:"count"`
	List  []tierDTO `json:"list"`
}

func toTierDTO(t domain.Tier) tierDTO {
	return tierDTO{Name: t.Name, DisplayName: t.DisplayName, Description: t.Description, PolicyLevel: "subscription",
		RequestCount: t.RequestCount, UnitTime: t.UnitTime, TimeUnit: t.TimeUnit, Unlimited: t.Unlimited}
}

func (d tierDTO) domain() (domain.Tier, error) {
	if d.PolicyLevel != "" && d.PolicyLevel != "subscription" {
		return domain.Tier{}, domain.Invalid(domain.CodeValidation, "Invalid policyLevel", "policyLevel must be \"subscription\", got %q", d.PolicyLevel)
	}
	t := domain.Tier{Name: d.Name, DisplayName: d.DisplayName, Description: d.Description,
		RequestCount: d.RequestCount, UnitTime: d.UnitTime, TimeUnit: d.TimeUnit, Unlimited: d.Unlimited}
	t.Normalize()
	return t, t.Validate()
}

func (h *handlers) listTiers(c *gin.Context) {
	tiers, err := h.store.ListTiers(c.Request.Context())
	if err != nil {
		c.Error(err)
		return
	}
	out := tierListDTO{Count: len(tiers), List: make([]tierDTO, 0, len(tiers))}
	for _, t := range tiers {
		out.List = append(out.List, toTierDTO(t))
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) createTier(c *gin.Context) {
	var in tierDTO
	if err := decodeJSON(c, &in); err != nil {
		c.Error(err)
		return
	}
	t, err := in.domain()
	if err == nil {
		t, err = h.store.CreateTier(c.Request.Context(), t)
	}
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Location", BasePath+"/throttling-policies/subscription/"+t.Name)
	c.JSON(http.StatusCreated, toTierDTO(t))
}

func (h *handlers) getTier(c *gin.Context) {
	t, err := h.store.GetTier(c.Request.Context(), c.Param("policyName"))
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toTierDTO(t))
}

func (h *handlers) updateTier(c *gin.Context) {
	name := c.Param("policyName")
	var in tierDTO
	if err := decodeJSON(c, &in); err != nil {
		c.Error(err)
		return
	}
	if in.Name == "" {
		in.Name = name
	}
	if in.Name != name {
		c.Error(domain.Invalid(domain.CodeValidation, "Invalid name", "the body's name %q does not match the path's %q (tiers cannot be renamed)", in.Name, name))
		return
	}
	t, err := in.domain()
	if err == nil {
		t, err = h.store.UpdateTier(c.Request.Context(), t)
	}
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toTierDTO(t))
}

func (h *handlers) deleteTier(c *gin.Context) {
	if err := h.store.DeleteTier(c.Request.Context(), c.Param("policyName")); err != nil {
		c.Error(err)
		return
	}
	c.Status(http.StatusOK)
}
