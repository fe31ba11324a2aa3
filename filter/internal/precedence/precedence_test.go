package precedence

import (
	"testing"

	"github.com/certgate/certgate/shared"
)

type eval struct {
	cert, token         Outcome
	certCalls, tokCalls int
}

func (e *eval) Cert() Outcome  { e.certCalls++; return e.cert }
func (e *eval) Token() Outcome { e.tokCalls++; return e.token }

func TestDecide(t *testing.T) {
	both := shared.SecMutualSSL | shared.SecOAuth2
	cases := []struct {
		name        string
		sec         shared.Security
		cert, token Outcome
		method      Method
		code        int
		tokenCalled bool
		certCalled  bool
	}{
		// Seed 001 table: both enabled.
		{"both/cert-valid+token-sent", both, Valid, Invalid, MutualSSL, 0, false, true},
		{"both/cert-invalid+token-valid", both, Invalid, Valid, OAuth2, 0, true, true},
		{"both/cert-invalid+token-invalid", both, Invalid, Invalid, None, 900901, true, true},
		{"both/cert-only-valid", both, Valid, Absent, MutualSSL, 0, false, true},
		{"both/cert-only-invalid", both, Invalid, Absent, None, 900901, true, true},
		{"both/token-only-valid", both, Absent, Valid, OAuth2, 0, true, true},
		{"both/token-only-invalid", both, Absent, Invalid, None, 900901, true, true},
		{"both/neither", both, Absent, Absent, None, 900902, true, true},
		// Single scheme.
		{"mtls/valid+bad-token-ignored", shared.SecMutualSSL, Valid, Invalid, MutualSSL, 0, false, true},
		{"mtls/invalid+good-token-ignored", shared.SecMutualSSL, Invalid, Valid, None, 900901, false, true},
		{"mtls/absent+good-token-ignored", shared.SecMutualSSL, Absent, Valid, None, 900902, false, true},
		{"oauth/valid+bad-cert-ignored", shared.SecOAuth2, Invalid, Valid, OAuth2, 0, true, false},
		{"oauth/invalid+good-cert-ignored", shared.SecOAuth2, Valid, Invalid, None, 900901, true, false},
		{"oauth/absent", shared.SecOAuth2, Valid, Absent, None, 900902, true, false},
		{"none-means-oauth", 0, Valid, Absent, None, 900902, true, false},
		// Mandatory variants.
		{"mtls-mandatory/cert-invalid+token-valid", both | shared.SecMutualSSLMandatory, Invalid, Valid, None, 900901, false, true},
		{"mtls-mandatory/cert-absent+token-valid", both | shared.SecMutualSSLMandatory, Absent, Valid, None, 900902, false, true},
		{"mtls-mandatory/cert-valid+token-invalid", both | shared.SecMutualSSLMandatory, Valid, Invalid, MutualSSL, 0, false, true},
		{"oauth-mandatory/token-invalid+cert-valid", both | shared.SecOAuth2Mandatory, Valid, Invalid, None, 900901, true, false},
		{"oauth-mandatory/token-valid", both | shared.SecOAuth2Mandatory, Invalid, Valid, OAuth2, 0, true, false},
		{"both-mandatory/both-valid", both | shared.SecMutualSSLMandatory | shared.SecOAuth2Mandatory, Valid, Valid, Both, 0, true, true},
		{"both-mandatory/token-absent", both | shared.SecMutualSSLMandatory | shared.SecOAuth2Mandatory, Valid, Absent, None, 900902, true, true},
		{"both-mandatory/cert-invalid", both | shared.SecMutualSSLMandatory | shared.SecOAuth2Mandatory, Invalid, Valid, None, 900901, false, true},
		{"mandatory-implies-enabled", shared.SecMutualSSLMandatory, Valid, Absent, MutualSSL, 0, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &eval{cert: c.cert, token: c.token}
			d := Decide(c.sec, e)
			if d.Code != c.code || d.Method != c.method {
				t.Fatalf("got %+v, want method %v code %d", d, c.method, c.code)
			}
			if (e.tokCalls > 0) != c.tokenCalled || (e.certCalls > 0) != c.certCalled {
				t.Fatalf("evaluated cert=%d token=%d times", e.certCalls, e.tokCalls)
			}
			if e.tokCalls > 1 || e.certCalls > 1 {
				t.Fatal("evaluated twice")
			}
		})
	}
}
