package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/domain"
)

// decodeJSON decodes the body strictly: one JSON value, no unknown fields.
func decodeJSON(c *gin.Context, v any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return badRequest("Content-Type must be application/json, got %q", ct)
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return badRequest("the body must hold a single JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return domain.BodyTooLarge(mbe.Limit)
	case errors.Is(err, io.EOF):
		return badRequest("the request body is empty")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the body is not valid JSON: %v", err)
	case errors.As(err, &typ):
		return domain.Invalid(domain.CodeValidation, "Invalid field type", "field %q must be a %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return domain.Invalid(domain.CodeUnknownField, "Unknown field", "the body has the unknown field %s", field)
	}
	return badRequest("the body could not be decoded: %v", err)
}

// uploadForm is a parsed multipart request.
type uploadForm struct {
	form  *multipart.Form
	limit int64 // per file
}

// parseMultipart parses a multipart/form-data body (bounded by limitBody).
// Files up to the route's body limit stay in memory.
func parseMultipart(c *gin.Context) (uploadForm, error) {
	if !strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		return uploadForm{}, badRequest("Content-Type must be multipart/form-data")
	}
	limit := bodyLimit(c)
	// The body is bounded by limit (limitBody), so a memory budget of twice
	// that keeps every part, headers included, in memory: uploaded key
	// stores never reach a temporary file.
	if err := c.Request.ParseMultipartForm(2 * limit); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return uploadForm{}, domain.BodyTooLarge(mbe.Limit)
		}
		return uploadForm{}, badRequest("the multipart body could not be parsed: %v", err)
	}
	return uploadForm{form: c.Request.MultipartForm, limit: limit}, nil
}

// value returns a trimmed form field and whether it was sent.
func (f uploadForm) value(name string) (string, bool) {
	v, ok := f.form.Value[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.TrimSpace(v[0]), true
}

// values returns every value of a repeated form field, each split on
// commas and trimmed, empty parts dropped.
func (f uploadForm) values(name string) (out []string, sent bool) {
	vs, sent := f.form.Value[name]
	for _, v := range vs {
		for part := range strings.SplitSeq(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out, sent
}

// file reads the named file field; ok is false when absent.
func (f uploadForm) file(name string) (data []byte, ok bool, err error) {
	fhs := f.form.File[name]
	if len(fhs) == 0 {
		return nil, false, nil
	}
	if len(fhs) > 1 {
		return nil, true, domain.Invalid(domain.CodeMultipleCerts, "Several certificates", "send one %q file per request", name)
	}
	fd, err := fhs[0].Open()
	if err != nil {
		return nil, true, err
	}
	defer fd.Close()
	data, err = io.ReadAll(io.LimitReader(fd, f.limit+1))
	if err == nil && int64(len(data)) > f.limit {
		err = domain.BodyTooLarge(f.limit)
	}
	return data, true, err
}

// paging reads ?limit=&offset= (defaults 25 and 0; limit at most 1000).
func paging(c *gin.Context) (offset, limit int, err error) {
	limit, offset = 25, 0
	if s := c.Query("limit"); s != "" {
		limit, err = strconv.Atoi(s)
		if err != nil || limit < 1 || limit > 1000 {
			return 0, 0, domain.Invalid(domain.CodeValidation, "Invalid limit", "limit must be an integer from 1 to 1000, got %q", s)
		}
	}
	if s := c.Query("offset"); s != "" {
		offset, err = strconv.Atoi(s)
		if err != nil || offset < 0 {
			return 0, 0, domain.Invalid(domain.CodeValidation, "Invalid offset", "offset must be a non-negative integer, got %q", s)
		}
	}
	return offset, limit, nil
}
