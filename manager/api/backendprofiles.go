package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// profilesPath is the collection of backend mutual-TLS profiles (seed 004).
const profilesPath = "/backend-profiles"

// profileDTO is a backend profile as the API returns it: certificate
// summaries only, never key material.
type profileDTO struct {
	Name                 string         `json:"name"`
	Servers              []string       `json:"servers"`
	TrustStore           []trustCertDTO `json:"trustStore"`
	KeyStore             *keyStoreDTO   `json:"keyStore,omitempty"`
	HostnameVerification string         `json:"hostnameVerification"`
	SNI                  string         `json:"sni,omitempty"`
	TLSMinVersion        string         `json:"tlsMinVersion,omitempty"`
	TLSMaxVersion        string         `json:"tlsMaxVersion,omitempty"`
	CreatedTime          string         `json:"createdTime"`
	LastUpdatedTime      string         `json:"lastUpdatedTime"`
}

type trustCertDTO struct {
	Subject           string `json:"subject"`
	NotAfter          string `json:"notAfter"`
	FingerprintSha256 string `json:"fingerprintSha256"`
}

// keyStoreDTO describes the client certificate; the key is never returned.
type keyStoreDTO struct {
	Subject           string `json:"subject"`
	NotAfter          string `json:"notAfter"`
	FingerprintSha256 string `json:"fingerprintSha256"`
	KeyType           string `json:"keyType"`
}

type profileListDTO struct {
	Count int          `json:"count"`
	List  []profileDTO `json:"list"`
}

func toProfileDTO(p domain.BackendProfile) profileDTO {
	out := profileDTO{
		Name: p.Name, Servers: p.Servers, TrustStore: make([]trustCertDTO, 0, len(p.TrustStore)),
		HostnameVerification: p.HostnameVerification, SNI: p.SNI,
		TLSMinVersion: p.TLSMinVersion, TLSMaxVersion: p.TLSMaxVersion,
		CreatedTime: p.CreatedAt.Format(time.RFC3339), LastUpdatedTime: p.UpdatedAt.Format(time.RFC3339),
	}
	for _, c := range p.TrustStore {
		out.TrustStore = append(out.TrustStore, trustCertDTO{Subject: c.Subject, NotAfter: c.NotAfter.Format(time.RFC3339), FingerprintSha256: c.Fingerprint})
	}
	if ks := p.KeyStore; ks != nil {
		out.KeyStore = &keyStoreDTO{Subject: ks.Subject, NotAfter: ks.NotAfter.Format(time.RFC3339), FingerprintSha256: ks.Fingerprint, KeyType: ks.KeyType}
	}
	return out
}

// encryptedStore is implemented by stores that can say whether they
// encrypt at rest (the Badger store does).
type encryptedStore interface{ Encrypted() bool }

// readProfile parses and validates a multipart profile upload. name is the
// path's name on PUT ("" on POST).
func (h *handlers) readProfile(c *gin.Context, pathName string) (domain.BackendProfile, error) {
	f, err := parseMultipart(c)
	if err != nil {
		return domain.BackendProfile{}, err
	}
	var p domain.BackendProfile
	name, _ := f.value("name")
	switch {
	case pathName == "":
		p.Name = name
	case name != "" && name != pathName:
		return p, domain.Invalid(domain.CodeValidation, "Invalid name", "the form's name %q does not match the path's %q (profiles cannot be renamed)", name, pathName)
	default:
		p.Name = pathName
	}
	p.Servers, _ = f.values("servers")
	p.SNI, _ = f.value("sni")
	hv, _ := f.value("hostnameVerification")
	if p.HostnameVerification, err = domain.ParseHostnameVerification(hv); err != nil {
		return p, err
	}
	p.TLSMinVersion, _ = f.value("tlsMinVersion")
	p.TLSMaxVersion, _ = f.value("tlsMaxVersion")
	p.Normalize()
	if err := domain.ValidateProfileName(p.Name); err != nil {
		return p, err
	}

	now := h.now()
	trust, ok, err := f.file("trustStore")
	if err != nil {
		return p, err
	}
	if ok {
		pw, _ := f.value("trustStorePassword")
		certs, err := domain.DecodeTrustStore(trust, pw, now)
		if err != nil {
			return p, err
		}
		for _, cert := range certs {
			p.TrustStore = append(p.TrustStore, domain.NewTrustedCertificate(cert))
		}
	}
	ksData, hasKS, err := f.file("keyStore")
	if err != nil {
		return p, err
	}
	keyData, hasKey, err := f.file("keyStoreKey")
	if err != nil {
		return p, err
	}
	if hasKey && !hasKS {
		return p, domain.Invalid(domain.CodeKeyStoreInvalid, "Invalid key store", "\"keyStoreKey\" needs the \"keyStore\" certificate file")
	}
	if hasKS {
		// Refuse before decoding: a store that cannot keep the key encrypted
		// never handles it.
		if es, ok := h.store.(encryptedStore); ok && !es.Encrypted() {
			return p, domain.EncryptionKeyRequired()
		}
		pw, _ := f.value("keyStorePassword")
		if p.KeyStore, err = domain.DecodeKeyStore(ksData, keyData, pw, now); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}

func (h *handlers) listProfiles(c *gin.Context) {
	ps, err := h.store.ListBackendProfiles(c.Request.Context())
	if err != nil {
		c.Error(err)
		return
	}
	out := profileListDTO{Count: len(ps), List: make([]profileDTO, 0, len(ps))}
	for _, p := range ps {
		out.List = append(out.List, toProfileDTO(p))
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) createProfile(c *gin.Context) {
	p, err := h.readProfile(c, "")
	if err != nil {
		c.Error(err)
		return
	}
	p, err = h.store.CreateBackendProfile(c.Request.Context(), p)
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Location", BasePath+profilesPath+"/"+p.Name)
	c.JSON(http.StatusCreated, toProfileDTO(p))
}

func (h *handlers) getProfile(c *gin.Context) {
	p, err := h.store.GetBackendProfile(c.Request.Context(), c.Param("name"))
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toProfileDTO(p))
}

func (h *handlers) updateProfile(c *gin.Context) {
	name := c.Param("name")
	if _, err := h.store.GetBackendProfile(c.Request.Context(), name); err != nil {
		c.Error(err)
		return
	}
	p, err := h.readProfile(c, name)
	if err != nil {
		c.Error(err)
		return
	}
	p, err = h.store.UpdateBackendProfile(c.Request.Context(), p)
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toProfileDTO(p))
}

func (h *handlers) deleteProfile(c *gin.Context) {
	if err := h.store.DeleteBackendProfile(c.Request.Context(), c.Param("name")); err != nil {
		c.Error(err)
		return
	}
	c.Status(http.StatusOK)
}
