// Package api is the manager's HTTP transport: Gin handlers for the
// WSO2-compatible Publisher REST API v4 paths (/api/am/publisher/v4/...),
// admin bearer-token authentication, request limits, strict JSON decoding,
// metrics, and the one middleware that renders every error as
// {code, message, description}.
package api
