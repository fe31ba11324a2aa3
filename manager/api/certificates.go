package api

import (
	"encoding/pem"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// clientCertMetadataDTO is WSO2's ClientCertMetadataDTO.
type clientCertMetadataDTO struct {
	Alias string `json:"alias"`
	APIID string `json:"apiId"`
	Tier  string `json:"tier"`
}

type clientCertListDTO struct {
	Count        int                     `json:"count"`
	Certificates []clientCertMetadataDTO `json:"certificates"`
	Pagination   paginationDTO           `json:"pagination"`
}

type validityDTO struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// certificateInfoDTO is WSO2's CertificateInfoDTO (status, validity,
// version, subject) plus certgate's own fields.
type certificateInfoDTO struct {
	Status            string      `json:"status"`
	Validity          validityDTO `json:"validity"`
	Version           string      `json:"version"`
	Subject           string      `json:"subject"`
	Alias             string      `json:"alias"`
	APIID             string      `json:"apiId"`
	Tier              string      `json:"tier"`
	Type              string      `json:"type"`
	FingerprintSha256 string      `json:"fingerprintSha256"`
	CommonName        string      `json:"commonName"`
	Issuer            string      `json:"issuer"`
	SerialNumber      string      `json:"serialNumber"`
	NotBefore         string      `json:"notBefore"`
	NotAfter          string      `json:"notAfter"`
	KeyType           string      `json:"keyType"`
	KeySize           int         `json:"keySize"`
	SubjectKeyID      string      `json:"subjectKeyId,omitempty"`
}

func toCertMeta(c domain.ClientCertificate) clientCertMetadataDTO {
	return clientCertMetadataDTO{Alias: c.Alias, APIID: c.APIID, Tier: c.Tier}
}

func toCertInfo(c domain.ClientCertificate, now time.Time) certificateInfoDTO {
	from, to := c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339)
	return certificateInfoDTO{
		Status: c.Status(now), Validity: validityDTO{From: from, To: to}, Version: strconv.Itoa(c.Version),
		Subject: c.Subject, Alias: c.Alias, APIID: c.APIID, Tier: c.Tier, Type: string(c.Type),
		FingerprintSha256: c.Fingerprint, CommonName: c.CommonName, Issuer: c.Issuer, SerialNumber: c.SerialNumber,
		NotBefore: from, NotAfter: to, KeyType: c.KeyType, KeySize: c.KeySize, SubjectKeyID: c.SubjectKeyID,
	}
}

// readCertificate decodes and validates the "certificate" file of an
// upload; ok is false when the request has no such file.
func (h *handlers) readCertificate(f uploadForm) (*domain.ClientCertificate, bool, error) {
	data, ok, err := f.file("certificate")
	if err != nil || !ok {
		return nil, ok, err
	}
	typeField, _ := f.value("type")
	typ, err := domain.ParseCertType(typeField)
	if err != nil {
		return nil, true, err
	}
	password, _ := f.value("password")
	cert, err := domain.DecodeCertificateFile(data, password)
	if err != nil {
		return nil, true, err
	}
	if err := domain.ValidateCertificate(cert, typ, h.now()); err != nil {
		return nil, true, err
	}
	cc := &domain.ClientCertificate{Type: typ}
	cc.Describe(cert)
	return cc, true, nil
}

func (h *handlers) uploadCert(c *gin.Context) {
	apiID := c.Param("apiId")
	if _, err := h.store.GetAPI(c.Request.Context(), apiID); err != nil {
		c.Error(err)
		return
	}
	f, err := parseMultipart(c)
	if err != nil {
		c.Error(err)
		return
	}
	alias, _ := f.value("alias")
	if err := domain.ValidateAlias(alias); err != nil {
		c.Error(err)
		return
	}
	tier, _ := f.value("tier")
	if tier == "" {
		tier = domain.DefaultTierName
	}
	cc, ok, err := h.readCertificate(f)
	if err == nil && !ok {
		err = domain.Invalid(domain.CodeCertMissing, "Certificate missing", "the multipart field \"certificate\" (the certificate file) is required")
	}
	if err != nil {
		c.Error(err)
		return
	}
	cc.APIID, cc.Alias, cc.Tier = apiID, alias, tier
	saved, err := h.store.AddCertificate(c.Request.Context(), *cc)
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Location", BasePath+"/apis/"+apiID+"/client-certificates/"+alias)
	c.JSON(http.StatusOK, toCertMeta(saved))
}

func (h *handlers) listCerts(c *gin.Context) {
	apiID := c.Param("apiId")
	offset, limit, err := paging(c)
	if err != nil {
		c.Error(err)
		return
	}
	alias := c.Query("alias")
	page, err := h.store.ListCertificates(c.Request.Context(), apiID, domain.CertQuery{Alias: alias, Offset: offset, Limit: limit})
	if err != nil {
		c.Error(err)
		return
	}
	var extra url.Values
	if alias != "" {
		extra = url.Values{"alias": {alias}}
	}
	out := clientCertListDTO{
		Count: len(page.Items), Certificates: make([]clientCertMetadataDTO, 0, len(page.Items)),
		Pagination: paginate("/apis/"+apiID+"/client-certificates", extra, offset, limit, page.Total),
	}
	for _, cc := range page.Items {
		out.Certificates = append(out.Certificates, toCertMeta(cc))
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) getCert(c *gin.Context) {
	cc, err := h.store.GetCertificate(c.Request.Context(), c.Param("apiId"), c.Param("alias"))
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toCertInfo(cc, h.now()))
}

func (h *handlers) certContent(c *gin.Context) {
	cc, err := h.store.GetCertificate(c.Request.Context(), c.Param("apiId"), c.Param("alias"))
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+cc.Alias+`.crt"`)
	c.Data(http.StatusOK, "application/x-pem-file", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cc.DER}))
}

func (h *handlers) updateCert(c *gin.Context) {
	apiID, alias := c.Param("apiId"), c.Param("alias")
	if _, err := h.store.GetCertificate(c.Request.Context(), apiID, alias); err != nil {
		c.Error(err)
		return
	}
	f, err := parseMultipart(c)
	if err != nil {
		c.Error(err)
		return
	}
	var u domain.CertUpdate
	if tier, ok := f.value("tier"); ok && tier != "" {
		u.Tier = &tier
	}
	cc, ok, err := h.readCertificate(f)
	if err != nil {
		c.Error(err)
		return
	}
	if ok {
		u.Certificate = cc
	}
	if u.Tier == nil && u.Certificate == nil {
		c.Error(domain.Invalid(domain.CodeValidation, "Nothing to update", "send a \"certificate\" file, a \"tier\", or both"))
		return
	}
	saved, err := h.store.UpdateCertificate(c.Request.Context(), apiID, alias, u)
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toCertMeta(saved))
}

func (h *handlers) deleteCert(c *gin.Context) {
	removed, err := h.store.RemoveCertificate(c.Request.Context(), c.Param("apiId"), c.Param("alias"))
	if err != nil {
		c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toCertMeta(removed))
}
