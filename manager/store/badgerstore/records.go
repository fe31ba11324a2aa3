package badgerstore

import (
	"time"

	"github.com/certgate/certgate/manager/domain"
)

// Records are the stored shapes, private so the domain types can evolve
// independently of what is on disk.

type apiRecord struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	Version             string    `json:"version"`
	Context             string    `json:"context"`
	Provider            string    `json:"provider"`
	IsDefaultVersion    bool      `json:"isDefault,omitempty"`
	SecurityScheme      []string  `json:"schemes"`
	APIThrottlingPolicy string    `json:"policy,omitempty"`
	ProductionEndpoint  string    `json:"prodURL"`
	SandboxEndpoint     string    `json:"sandboxURL,omitempty"`
	LifeCycleStatus     string    `json:"status"`
	GatewayEnvironments []string  `json:"envs,omitempty"`
	CreatedAt           time.Time `json:"created"`
	UpdatedAt           time.Time `json:"updated"`
}

func toAPIRecord(a domain.API) apiRecord {
	return apiRecord(a)
}

// domain converts the record; records written before environments existed
// are deployed to the default environment.
func (r apiRecord) domain() domain.API {
	a := domain.API(r)
	if len(a.GatewayEnvironments) == 0 {
		a.GatewayEnvironments = []string{domain.DefaultEnvironment}
	}
	return a
}

type certRecord struct {
	APIID        string    `json:"api"`
	Alias        string    `json:"alias"`
	Tier         string    `json:"tier"`
	Type         string    `json:"type"`
	DER          []byte    `json:"der"`
	Fingerprint  string    `json:"sha256"`
	Subject      string    `json:"subject"`
	CommonName   string    `json:"cn"`
	Issuer       string    `json:"issuer"`
	SerialNumber string    `json:"serial"`
	NotBefore    time.Time `json:"notBefore"`
	NotAfter     time.Time `json:"notAfter"`
	KeyType      string    `json:"keyType"`
	KeySize      int       `json:"keySize"`
	Version      int       `json:"x509Version"`
	SubjectKeyID string    `json:"ski,omitempty"`
	Removed      bool      `json:"removed,omitempty"`
	CreatedAt    time.Time `json:"created"`
	UpdatedAt    time.Time `json:"updated"`
	RemovedAt    time.Time `json:"removedAt,omitzero"`
}

func toCertRecord(c domain.ClientCertificate) certRecord {
	return certRecord{
		APIID: c.APIID, Alias: c.Alias, Tier: c.Tier, Type: string(c.Type), DER: c.DER,
		Fingerprint: c.Fingerprint, Subject: c.Subject, CommonName: c.CommonName, Issuer: c.Issuer,
		SerialNumber: c.SerialNumber, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		KeyType: c.KeyType, KeySize: c.KeySize, Version: c.Version, SubjectKeyID: c.SubjectKeyID,
		Removed: c.Removed, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, RemovedAt: c.RemovedAt,
	}
}

func (r certRecord) domain() domain.ClientCertificate {
	return domain.ClientCertificate{
		APIID: r.APIID, Alias: r.Alias, Tier: r.Tier, Type: domain.CertType(r.Type), DER: r.DER,
		Fingerprint: r.Fingerprint, Subject: r.Subject, CommonName: r.CommonName, Issuer: r.Issuer,
		SerialNumber: r.SerialNumber, NotBefore: r.NotBefore, NotAfter: r.NotAfter,
		KeyType: r.KeyType, KeySize: r.KeySize, Version: r.Version, SubjectKeyID: r.SubjectKeyID,
		Removed: r.Removed, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, RemovedAt: r.RemovedAt,
	}
}

type tierRecord struct {
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	Description  string `json:"description,omitempty"`
	RequestCount int64  `json:"requestCount"`
	UnitTime     int64  `json:"unitTime"`
	TimeUnit     string `json:"timeUnit"`
	Unlimited    bool   `json:"unlimited,omitempty"`
}

func toTierRecord(t domain.Tier) tierRecord { return tierRecord(t) }

func (r tierRecord) domain() domain.Tier { return domain.Tier(r) }

type auditRecord struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Resource string    `json:"resource"`
	Detail   string    `json:"detail,omitempty"`
}

func (r auditRecord) domain() domain.AuditEntry {
	return domain.AuditEntry{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Action: r.Action,
		Resource: r.Resource, Detail: r.Detail, ConfigVersion: r.Seq}
}
