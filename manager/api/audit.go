package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type auditEntryDTO struct {
	ID            uint64 `json:"id"`
	Time          string `json:"time"`
	Actor         string `json:"actor"`
	Action        string `json:"action"`
	Resource      string `json:"resource"`
	Detail        string `json:"detail,omitempty"`
	ConfigVersion uint64 `json:"configVersion"`
}

type auditListDTO struct {
	Count      int             `json:"count"`
	List       []auditEntryDTO `json:"list"`
	Pagination paginationDTO   `json:"pagination"`
}

// listAudit serves the audit trail, newest first.
func (h *handlers) listAudit(c *gin.Context) {
	offset, limit, err := paging(c)
	if err != nil {
		c.Error(err)
		return
	}
	entries, total, err := h.store.ListAudit(c.Request.Context(), offset, limit)
	if err != nil {
		c.Error(err)
		return
	}
	out := auditListDTO{Count: len(entries), List: make([]auditEntryDTO, 0, len(entries)),
		Pagination: paginate("/audit", nil, offset, limit, total)}
	for _, e := range entries {
		out.List = append(out.List, auditEntryDTO{ID: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano), Actor: e.Actor,
			Action: e.Action, Resource: e.Resource, Detail: e.Detail, ConfigVersion: e.ConfigVersion})
	}
	c.JSON(http.StatusOK, out)
}
