package domain

import (
	"context"
	"time"
)

// AuditEntry records one change: who did what to which resource, when, and
// the config version the change produced.
type AuditEntry struct {
	Seq           uint64 // equals ConfigVersion: one entry per change
	Time          time.Time
	Actor         string
	Action        string // e.g. "certificate.add"
	Resource      string // e.g. "apis/<id>/client-certificates/<alias>"
	Detail        string
	ConfigVersion uint64
}

// Audit actions.
const (
	ActionAPICreate     = "api.create"
	ActionAPIUpdate     = "api.update"
	ActionAPIDelete     = "api.delete"
	ActionCertAdd       = "certificate.add"
	ActionCertUpdate    = "certificate.update"
	ActionCertRemove    = "certificate.remove"
	ActionTierCreate    = "tier.create"
	ActionTierUpdate    = "tier.update"
	ActionTierDelete    = "tier.delete"
	ActionStoreCreated  = "store.init"
	ActionProfileCreate = "backend-profile.create"
	ActionProfileUpdate = "backend-profile.update"
	ActionProfileDelete = "backend-profile.delete"
)

type actorKey struct{}

// WithActor returns ctx carrying the name of who makes the change.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor returns the actor in ctx, or "system".
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}
