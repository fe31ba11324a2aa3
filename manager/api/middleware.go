package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// AdminActor is the audit actor of requests authenticated with the admin token.
const AdminActor = "admin"

// requireAdmin checks "Authorization: Bearer <token>" in constant time
// (both sides hashed first, so the length does not leak either).
func requireAdmin(token string) gin.HandlerFunc {
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		scheme, got, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(got) == "" {
			c.Error(&domain.Error{Kind: domain.ErrUnauthorized, Status: http.StatusUnauthorized,
				Code: domain.CodeMissingCredentials, Message: "Missing credentials",
				Description: "send the admin token as \"Authorization: Bearer <token>\""})
			c.Abort()
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if token == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			c.Error(&domain.Error{Kind: domain.ErrUnauthorized, Status: http.StatusUnauthorized,
				Code: domain.CodeInvalidCredentials, Message: "Invalid credentials",
				Description: "the bearer token is not the admin token"})
			c.Abort()
			return
		}
		c.Request = c.Request.WithContext(domain.WithActor(c.Request.Context(), AdminActor))
		c.Next()
	}
}

// limitBody refuses bodies over bodyLimit(c) bytes: early from
// Content-Length, and while reading through http.MaxBytesReader otherwise.
func limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := bodyLimit(c)
		if c.Request.ContentLength > limit {
			c.Error(domain.BodyTooLarge(limit))
			c.Abort()
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// bodyLimit is the body limit of the matched route: MaxProfileBodyBytes
// for backend profiles (key stores), MaxBodyBytes for everything else.
func bodyLimit(c *gin.Context) int64 {
	if strings.HasPrefix(c.FullPath(), BasePath+profilesPath) {
		return MaxProfileBodyBytes
	}
	return MaxBodyBytes
}

// requestLog writes one structured line per request. It never logs headers
// (the admin token travels in one).
func requestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "http request", "method", c.Request.Method, "route", c.FullPath(),
			"path", c.Request.URL.Path, "status", c.Writer.Status(), "duration_ms",
			float64(time.Since(start).Microseconds())/1000, "remote", c.ClientIP())
	}
}
