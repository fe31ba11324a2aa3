package push

import (
	"crypto/subtle"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/shared"
)

// SnapshotPath is the long-poll endpoint the filter polls.
const SnapshotPath = "/gateway/v1/snapshot"

// MaxWait caps how long one long-poll may be held.
const MaxWait = 5 * time.Minute

// GatewayHeader names the gateway instance in a poll (shown in the gateways view).
const GatewayHeader = "X-Certgate-Gateway"

// VersionHeader carries the manager's published version in every answer.
const VersionHeader = "X-Certgate-Version"

var envRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// GatewayAuth accepts only "Authorization: Bearer <gateway token>" — the
// admin token is deliberately not accepted here, nor the gateway token on
// the admin API.
func GatewayAuth(token string) gin.HandlerFunc {
	want := []byte(token)
	return func(c *gin.Context) {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			abort(c, http.StatusUnauthorized, 900901, "Invalid gateway credentials", "a valid gateway token is required (Authorization: Bearer <gateway token>)")
			return
		}
		c.Next()
	}
}

func abort(c *gin.Context, status int, code int, msg, desc string) {
	c.AbortWithStatusJSON(status, gin.H{"code": code, "message": msg, "description": desc})
}

// LongPoll serves GET /gateway/v1/snapshot?env=&since=&wait=: a delta at
// once when the gateway is behind, otherwise the request is held until the
// next published version or until wait seconds pass (304). Every waiter
// blocks on the one channel the publisher closes per version, so a change
// wakes thousands of gateways without a goroutine per change.
func LongPoll(p *Publisher, gw *Gateways) gin.HandlerFunc {
	return func(c *gin.Context) {
		env := c.DefaultQuery("env", DefaultEnvironment)
		if !envRE.MatchString(env) {
			abort(c, http.StatusBadRequest, 400, "Invalid environment", "env must be 1-64 characters of [A-Za-z0-9._-]")
			return
		}
		since, err := strconv.ParseUint(c.DefaultQuery("since", "0"), 10, 64)
		if err != nil {
			abort(c, http.StatusBadRequest, 400, "Invalid since", "since must be a non-negative integer version")
			return
		}
		waitSec, err := strconv.ParseFloat(c.DefaultQuery("wait", "0"), 64)
		if err != nil || waitSec < 0 || waitSec > MaxWait.Seconds() {
			abort(c, http.StatusBadRequest, 400, "Invalid wait", "wait must be between 0 and 300 seconds")
			return
		}
		id := c.GetHeader(GatewayHeader)
		if id == "" {
			id = c.ClientIP()
		}
		gw.Seen(GatewayStatus{ID: id, Kind: "filter", Environment: env, Version: since, Address: c.ClientIP()})

		var timeout <-chan time.Time
		if waitSec > 0 {
			t := time.NewTimer(time.Duration(waitSec * float64(time.Second)))
			defer t.Stop()
			timeout = t.C
		}
		for {
			_, changed := p.Watch() // before Delta, so a version published in between is not missed
			d, ok := p.Delta(env, since)
			if ok {
				c.Header(VersionHeader, strconv.FormatUint(d.Version, 10))
				c.Data(http.StatusOK, shared.ContentTypeDelta, d.Encode())
				return
			}
			if timeout == nil {
				c.Header(VersionHeader, strconv.FormatUint(d.Version, 10))
				c.Status(http.StatusNotModified)
				return
			}
			select {
			case <-changed:
			case <-timeout:
				c.Header(VersionHeader, strconv.FormatUint(d.Version, 10))
				c.Status(http.StatusNotModified)
				return
			case <-p.Done():
				c.Header(VersionHeader, strconv.FormatUint(d.Version, 10))
				c.Status(http.StatusNotModified)
				return
			case <-c.Request.Context().Done():
				return
			}
		}
	}
}
