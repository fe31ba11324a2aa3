package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// errorDTO is the JSON error body (WSO2's ErrorDTO core fields).
type errorDTO struct {
	Code        int64  `json:"code"`
	Message     string `json:"message"`
	Description string `json:"description"`
}

// renderErrors is the one place errors become HTTP responses: handlers call
// c.Error(err) and return; this maps the last error to status + JSON.
func renderErrors(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors.Last().Err
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = domain.BodyTooLarge(mbe.Limit)
		}
		de := domain.AsError(err)
		if de.Status >= 500 {
			log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method,
				"route", c.FullPath(), "error", err.Error())
		}
		if de.Status == http.StatusUnauthorized {
			c.Header("WWW-Authenticate", `Bearer realm="certgate"`)
		}
		c.AbortWithStatusJSON(de.Status, errorDTO{Code: de.Code, Message: de.Message, Description: de.Description})
	}
}

func errNoRoute(path string) error {
	return &domain.Error{Kind: domain.ErrNotFound, Status: http.StatusNotFound, Code: domain.CodeResourceNotFound,
		Message: "Resource not found", Description: "no resource at " + path}
}

func errNoMethod(method string) error {
	return &domain.Error{Kind: domain.ErrInvalid, Status: http.StatusMethodNotAllowed, Code: domain.CodeMethodNotAllowed,
		Message: "Method not allowed", Description: method + " is not supported on this resource"}
}

func badRequest(format string, args ...any) error {
	return domain.Invalid(domain.CodeBadRequest, "Bad request", format, args...)
}

// recovery turns a handler panic into a 500 without leaking details.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(c.Request.Context(), "handler panic", "route", c.FullPath(), "panic", p)
				if !c.Writer.Written() {
					de := domain.Internal(errors.New("panic"))
					c.AbortWithStatusJSON(de.Status, errorDTO{Code: de.Code, Message: de.Message, Description: de.Description})
				}
			}
		}()
		c.Next()
	}
}
