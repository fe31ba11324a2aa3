// Package precedence decides a request from the outcome of each credential,
// per API, exactly as WSO2's mutual-SSL/OAuth2 table (seed 001) and its 4.x
// mandatory flags say:
//
//   - both schemes enabled (neither mandatory): the certificate is checked
//     first; valid → allowed and the token is ignored (never evaluated);
//     invalid or absent → the token decides; if both fail → 401 900901,
//     if neither was sent → 401 900902;
//   - one scheme enabled: that credential is required, the other ignored;
//   - a scheme marked mandatory must pass whatever the other does
//     (absent → 900902, invalid → 900901); optional schemes beside a
//     mandatory one are not evaluated.
//
// An API with no scheme at all is treated as OAuth2-only (WSO2's default).
// Credentials are evaluated lazily through Evaluator, so the cheaper path
// never pays for the other.
package precedence

import "github.com/certgate/certgate/shared"

// Outcome of one credential.
type Outcome uint8

// Outcomes.
const (
	Absent Outcome = iota
	Valid
	Invalid
)

// Evaluator checks credentials on demand (each at most once per request is the caller's job).
type Evaluator interface {
	Cert() Outcome
	Token() Outcome
}

// Method that authenticated the request.
type Method uint8

// Methods.
const (
	None Method = iota
	MutualSSL
	OAuth2
	Both
)

// String returns the auth-method header value.
func (m Method) String() string {
	switch m {
	case MutualSSL:
		return shared.AuthMutualSSL
	case OAuth2:
		return shared.AuthOAuth2
	case Both:
		return shared.AuthMutualSSL + "+" + shared.AuthOAuth2
	}
	return "none"
}

// Decision is the verdict; Code is 0 when allowed.
type Decision struct {
	Method Method
	Code   int
}

// Allowed reports whether the request passes authentication.
func (d Decision) Allowed() bool { return d.Code == 0 }

func deny(o Outcome) Decision {
	if o == Absent {
		return Decision{Code: shared.CodeMissingCredentials}
	}
	return Decision{Code: shared.CodeInvalidCredentials}
}

// Decide applies the precedence rules of sec to the credentials.
func Decide(sec shared.Security, e Evaluator) Decision {
	if sec.Has(shared.SecMutualSSLMandatory) {
		sec |= shared.SecMutualSSL
	}
	if sec.Has(shared.SecOAuth2Mandatory) {
		sec |= shared.SecOAuth2
	}
	if sec&(shared.SecMutualSSL|shared.SecOAuth2) == 0 {
		sec = shared.SecOAuth2
	}
	mtlsMand := sec.Has(shared.SecMutualSSLMandatory)
	oauthMand := sec.Has(shared.SecOAuth2Mandatory)
	if mtlsMand || oauthMand {
		m := None
		if mtlsMand {
			if c := e.Cert(); c != Valid {
				return deny(c)
			}
			m = MutualSSL
		}
		if oauthMand {
			if t := e.Token(); t != Valid {
				return deny(t)
			}
			if m == MutualSSL {
				return Decision{Method: Both}
			}
			m = OAuth2
		}
		return Decision{Method: m}
	}
	mtls, oauth := sec.Has(shared.SecMutualSSL), sec.Has(shared.SecOAuth2)
	switch {
	case mtls && oauth:
		c := e.Cert()
		if c == Valid {
			return Decision{Method: MutualSSL}
		}
		t := e.Token()
		if t == Valid {
			return Decision{Method: OAuth2}
		}
		if c == Absent && t == Absent {
			return deny(Absent)
		}
		return deny(Invalid)
	case mtls:
		if c := e.Cert(); c != Valid {
			return deny(c)
		}
		return Decision{Method: MutualSSL}
	default:
		if t := e.Token(); t != Valid {
			return deny(t)
		}
		return Decision{Method: OAuth2}
	}
}
