// Package push turns the manager's committed state into what gateways
// enforce and delivers it: per-environment filter snapshots in the shared/
// contract, served as deltas over a long-poll endpoint.
package push

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/shared"
)

// DefaultEnvironment is the environment of APIs that name none.
const DefaultEnvironment = domain.DefaultEnvironment

// APIEnvironments returns the environments an API is deployed to (its
// gatewayEnvironments; Default when it names none).
func APIEnvironments(a domain.API) []string {
	if len(a.GatewayEnvironments) == 0 {
		return []string{DefaultEnvironment}
	}
	return a.GatewayEnvironments
}

func deployedTo(a domain.API, env string) bool {
	for _, e := range APIEnvironments(a) {
		if e == env {
			return true
		}
	}
	return false
}

// Snapshot translates the committed state into the filter snapshot of one
// environment: the APIs deployed there, their active certificates and CAs,
// and every tier. It is pure: the same state gives the same snapshot.
func Snapshot(state domain.ConfigState, env string) (*shared.Snapshot, error) {
	s := &shared.Snapshot{}
	ids := make(map[string]string, len(state.APIs)) // API UUID -> API identifier
	for _, a := range state.APIs {
		if !deployedTo(a, env) {
			continue
		}
		api := shared.API{
			Provider: a.Provider,
			Name:     a.Name,
			Version:  a.Version,
			Context:  strings.Trim(a.Context, "/"),
			Default:  a.IsDefaultVersion,
			Security: security(a),
			Policy:   a.APIThrottlingPolicy,
		}
		ids[a.ID] = api.ID()
		s.APIs = append(s.APIs, api)
	}
	for _, c := range state.Certificates {
		apiID, ok := ids[c.APIID]
		if !ok || c.Removed {
			continue
		}
		switch c.Type {
		case domain.CertTypeCA:
			ca, err := caRecord(apiID, c)
			if err != nil {
				return nil, err
			}
			s.CAs = append(s.CAs, ca)
		default:
			s.Certs = append(s.Certs, shared.ClientCert{
				APIID:       apiID,
				Fingerprint: c.Fingerprint,
				Alias:       c.Alias,
				CN:          c.CommonName,
				Tier:        c.Tier,
				NotAfter:    c.NotAfter.Unix(),
			})
		}
	}
	for _, t := range state.Tiers {
		s.Tiers = append(s.Tiers, tierRecord(t))
	}
	return s, nil
}

func security(a domain.API) shared.Security {
	var sec shared.Security
	if a.HasScheme(domain.SchemeMutualSSL) {
		sec |= shared.SecMutualSSL
	}
	if a.HasScheme(domain.SchemeOAuth2) {
		sec |= shared.SecOAuth2
	}
	if a.HasScheme(domain.SchemeMutualSSLMandatory) {
		sec |= shared.SecMutualSSLMandatory
	}
	if a.HasScheme(domain.SchemeOAuthMandatory) {
		sec |= shared.SecOAuth2Mandatory
	}
	return sec
}

func caRecord(apiID string, c domain.ClientCertificate) (shared.CACert, error) {
	cert, err := x509.ParseCertificate(c.DER)
	if err != nil {
		return shared.CACert{}, fmt.Errorf("push: stored CA %q of API %s does not parse: %w", c.Alias, c.APIID, err)
	}
	subj := sha256.Sum256(cert.RawSubject)
	return shared.CACert{
		APIID:        apiID,
		SubjectKeyID: hex.EncodeToString(cert.SubjectKeyId),
		SubjectHash:  hex.EncodeToString(subj[:]),
		Alias:        c.Alias,
		Subject:      cert.Subject.String(),
		Tier:         c.Tier,
		NotAfter:     cert.NotAfter.Unix(),
		PublicKey:    cert.RawSubjectPublicKeyInfo,
	}, nil
}

func tierRecord(t domain.Tier) shared.Tier {
	rec := shared.Tier{Name: t.Name}
	if t.Unlimited || t.RequestCount <= 0 {
		return rec // Count 0 = unlimited
	}
	rec.Count = uint64(t.RequestCount)
	rec.UnitMillis = uint64(t.Window().Milliseconds())
	return rec
}
