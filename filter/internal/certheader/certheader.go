// Package certheader decodes the client certificate a trusted load
// balancer forwards in a request header. It recognises, by content:
//
//   - URL-encoded PEM (nginx $ssl_client_escaped_cert, AWS ALB),
//   - PEM with or without line breaks (also with spaces instead of them),
//   - base64 DER (standard or URL alphabet, padded or not),
//   - Envoy's x-forwarded-client-cert (first element; Cert= preferred, else Hash=),
//   - RFC 9440 Client-Cert (structured-field byte sequence ":base64-DER:").
//
// It never panics (fuzzed) and bounds its input.
package certheader

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// MaxLen bounds a header value; longer ones are rejected.
const MaxLen = 16 << 10

// Format names the header encoding that was recognised (for logs and tests).
type Format string

// Recognised formats.
const (
	FormatPEM       Format = "pem"
	FormatURLPEM    Format = "url-pem"
	FormatBase64DER Format = "base64-der"
	FormatXFCCCert  Format = "xfcc-cert"
	FormatXFCCHash  Format = "xfcc-hash"
	FormatRFC9440   Format = "rfc9440"
)

// Errors.
var (
	ErrEmpty     = errors.New("certheader: empty value")
	ErrTooLong   = errors.New("certheader: value too long")
	ErrMalformed = errors.New("certheader: unrecognised certificate encoding")
)

// Cert is a decoded header certificate. DER is nil when only a fingerprint
// was forwarded (XFCC Hash= without Cert=).
type Cert struct {
	DER         []byte
	Fingerprint [32]byte
	Format      Format
}

// Decode decodes a certificate header value.
func Decode(v string) (Cert, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Cert{}, ErrEmpty
	}
	if len(v) > MaxLen {
		return Cert{}, ErrTooLong
	}
	switch {
	case len(v) >= 2 && v[0] == ':' && v[len(v)-1] == ':':
		der, err := decodeBase64(v[1 : len(v)-1])
		return withDER(der, FormatRFC9440, err)
	case strings.HasPrefix(v, "-----BEGIN") || hasPrefixFold(v, "%2D%2D%2D%2D%2DBEGIN"):
		f := FormatPEM
		if strings.IndexByte(v, '%') >= 0 {
			s, ok := percentDecode(v)
			if !ok {
				return Cert{}, ErrMalformed
			}
			v, f = s, FormatURLPEM
		}
		der, err := decodePEM(v)
		return withDER(der, f, err)
	case looksLikeXFCC(v):
		return decodeXFCC(v)
	}
	der, err := decodeBase64(v)
	return withDER(der, FormatBase64DER, err)
}

func withDER(der []byte, f Format, err error) (Cert, error) {
	if err != nil {
		return Cert{}, err
	}
	if len(der) < 2 || der[0] != 0x30 { // a DER certificate is a SEQUENCE
		return Cert{}, ErrMalformed
	}
	return Cert{DER: der, Fingerprint: sha256.Sum256(der), Format: f}, nil
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// decodePEM decodes the first certificate block, whatever whitespace (or
// none) separates its lines; the label's space may arrive as '+' (form
// encoding).
func decodePEM(s string) ([]byte, error) {
	i := strings.Index(s, "-----BEGIN")
	if i < 0 {
		return nil, ErrMalformed
	}
	s = s[i+len("-----BEGIN"):]
	j := strings.Index(s, "-----")
	if j < 0 || !strings.HasSuffix(s[:j], "CERTIFICATE") {
		return nil, ErrMalformed
	}
	s = s[j+5:]
	k := strings.Index(s, "-----END")
	if k < 0 {
		return nil, ErrMalformed
	}
	return decodeBase64(s[:k])
}

// decodeBase64 decodes standard or URL-alphabet base64, padded or not, ignoring whitespace.
func decodeBase64(s string) ([]byte, error) {
	buf := make([]byte, 0, len(s))
	url := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '=':
		case c == '-' || c == '_':
			url = true
			buf = append(buf, c)
		default:
			buf = append(buf, c)
		}
	}
	if len(buf) == 0 {
		return nil, ErrMalformed
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	out := make([]byte, enc.DecodedLen(len(buf)))
	n, err := enc.Decode(out, buf)
	if err != nil {
		return nil, ErrMalformed
	}
	return out[:n], nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes %XX escapes ('+' stays '+': it is a base64 character).
func percentDecode(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

// looksLikeXFCC reports whether v starts with an XFCC key=value pair.
func looksLikeXFCC(v string) bool {
	eq := strings.IndexByte(v, '=')
	if eq <= 0 || eq > 8 {
		return false
	}
	switch strings.ToLower(v[:eq]) {
	case "by", "hash", "cert", "chain", "subject", "uri", "dns":
		return true
	}
	return false
}

// decodeXFCC decodes the first element of an x-forwarded-client-cert value:
// the client of the first proxy. Values may be double-quoted (with \" escapes).
func decodeXFCC(v string) (Cert, error) {
	var hash, cert string
	for len(v) > 0 {
		// key
		eq := strings.IndexByte(v, '=')
		if eq <= 0 {
			return Cert{}, ErrMalformed
		}
		key := strings.ToLower(strings.TrimSpace(v[:eq]))
		v = v[eq+1:]
		// value: quoted or up to ';' / ','
		var val string
		if len(v) > 0 && v[0] == '"' {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(v); i++ {
				c := v[i]
				if c == '\\' && i+1 < len(v) {
					i++
					b.WriteByte(v[i])
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return Cert{}, ErrMalformed
			}
			val = b.String()
			v = v[i:]
		} else {
			end := strings.IndexAny(v, ";,")
			if end < 0 {
				end = len(v)
			}
			val = v[:end]
			v = v[end:]
		}
		switch key {
		case "hash":
			hash = val
		case "cert":
			cert = val
		}
		if len(v) == 0 || v[0] == ',' { // end of the first element
			break
		}
		if v[0] != ';' {
			return Cert{}, ErrMalformed
		}
		v = v[1:]
	}
	if cert != "" {
		s, ok := percentDecode(cert)
		if !ok {
			return Cert{}, ErrMalformed
		}
		der, err := decodePEM(s)
		c, err := withDER(der, FormatXFCCCert, err)
		if err != nil {
			return Cert{}, err
		}
		return c, nil
	}
	if len(hash) == 64 {
		var fp [32]byte
		if _, err := hex.Decode(fp[:], []byte(hash)); err == nil {
			return Cert{Fingerprint: fp, Format: FormatXFCCHash}, nil
		}
	}
	return Cert{}, ErrMalformed
}
