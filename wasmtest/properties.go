package wasmtest

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"strings"
)

// PropString encodes a string property as Envoy does: the bytes as is.
func PropString(s string) []byte { return []byte(s) }

// PropBool encodes a bool property as Envoy does: one byte, 0 or 1.
func PropBool(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

// PropInt encodes an int/uint property as Envoy does: 8 bytes little-endian.
func PropInt(i int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(i)) }

// PeerCertificateProperties returns the connection.* properties Envoy
// exposes for a TLS connection whose peer presented cert:
//
//   - connection.mtls: true
//   - connection.sha256_peer_certificate_digest: lowercase hex SHA-256 of the DER
//   - connection.subject_peer_certificate: the subject in RFC 2253 form
//     (OpenSSL X509_NAME_print_ex with XN_FLAG_RFC2253, as Envoy uses)
//   - connection.uri_san_peer_certificate / connection.dns_san_peer_certificate:
//     the first URI / DNS SAN (absent when the certificate has none)
//
// and two entries that are not standard Envoy attributes but what certgate's
// filter may read when the gateway forwards them: connection.peer_certificate
// (URL-encoded PEM, like Envoy's %DOWNSTREAM_PEER_CERT%) and
// connection.peer_certificate_valid (bool).
func PeerCertificateProperties(cert *x509.Certificate, valid bool) map[string][]byte {
	sum := sha256.Sum256(cert.Raw)
	m := map[string][]byte{
		"connection.mtls": PropBool(true),
		"connection.sha256_peer_certificate_digest": PropString(hex.EncodeToString(sum[:])),
		"connection.subject_peer_certificate":       PropString(RFC2253(cert)),
		"connection.peer_certificate":               PropString(URLEncodedPEM(cert)),
		"connection.peer_certificate_valid":         PropBool(valid),
	}
	if len(cert.URIs) > 0 {
		m["connection.uri_san_peer_certificate"] = PropString(cert.URIs[0].String())
	}
	if len(cert.DNSNames) > 0 {
		m["connection.dns_san_peer_certificate"] = PropString(cert.DNSNames[0])
	}
	return m
}

// URLEncodedPEM is Envoy's urlEncodedPemEncodedPeerCertificate: the PEM with
// newline, space, '+', '/' and '=' percent-encoded.
func URLEncodedPEM(cert *x509.Certificate) string {
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	r := strings.NewReplacer("\n", "%0A", " ", "%20", "+", "%2B", "/", "%2F", "=", "%3D")
	return r.Replace(p)
}

// opensslShortNames maps attribute OIDs to OpenSSL's short names, which
// X509_NAME_print_ex prints in RFC 2253 mode.
var opensslShortNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.17":                   "postalCode",
	"2.5.4.12":                   "title",
	"2.5.4.42":                   "GN",
	"2.5.4.4":                    "SN",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.2.840.113549.1.9.1":       "emailAddress",
}

// RFC2253 renders the certificate subject the way Envoy reports
// connection.subject_peer_certificate: RDNs in reverse order, comma
// separated, multi-valued RDNs joined by '+', OpenSSL short names, RFC 2253
// escaping.
func RFC2253(cert *x509.Certificate) string {
	rdns := cert.Subject.ToRDNSequence()
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			oid := atv.Type.String()
			name, ok := opensslShortNames[oid]
			if !ok {
				name = oid
			}
			b.WriteString(name)
			b.WriteByte('=')
			s, _ := atv.Value.(string)
			b.WriteString(escapeRFC2253(s))
		}
	}
	return b.String()
}

func escapeRFC2253(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';':
			b.WriteByte('\\')
			b.WriteByte(c)
		case (c == '#' || c == ' ') && i == 0, c == ' ' && i == len(s)-1:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// property answers proxy_get_property for context c (Envoy's
// Context::getProperty over its attributes).
func (v *vm) property(c *hctx, key string) ([]byte, status) {
	s := c.stream
	if s != nil {
		if val, ok := s.setProps[key]; ok {
			return val, statusOK
		}
		if val, ok := s.props[key]; ok {
			return val, statusOK
		}
	}
	if c.plugin != nil {
		switch key {
		case "plugin_name":
			return PropString(c.plugin.opts.Name), statusOK
		case "plugin_root_id":
			return PropString(c.plugin.opts.RootID), statusOK
		case "plugin_vm_id":
			return PropString(c.plugin.opts.VMID), statusOK
		}
	}
	if s == nil {
		return nil, statusNotFound
	}
	if key == "connection.mtls" {
		return PropBool(false), statusOK // plaintext connection unless the test says otherwise
	}
	if rest, ok := strings.CutPrefix(key, "request."); ok {
		return requestProperty(s, rest)
	}
	if rest, ok := strings.CutPrefix(key, "response."); ok {
		return responseProperty(s, rest)
	}
	return nil, statusNotFound
}

func headerProp(m headerMap, name string) ([]byte, status) {
	if m == nil {
		return nil, statusNotFound
	}
	if val, ok := m.get(name); ok {
		return PropString(val), statusOK
	}
	return nil, statusNotFound
}

// requestProperty derives request.* from the current request headers, as
// Envoy's RequestWrapper does.
func requestProperty(s *Stream, key string) ([]byte, status) {
	h := s.reqHeaders
	if name, ok := strings.CutPrefix(key, "headers."); ok {
		return headerProp(h, name)
	}
	switch key {
	case "time":
		return PropInt(s.start.UnixNano()), statusOK
	case "protocol":
		if h == nil {
			return nil, statusNotFound
		}
		return PropString("HTTP/1.1"), statusOK
	case "headers":
		if h == nil {
			return nil, statusNotFound
		}
		return marshalPairs(nil, h), statusOK
	}
	if h == nil {
		return nil, statusNotFound
	}
	path, _ := h.get(":path")
	switch key {
	case "path":
		return headerProp(h, ":path")
	case "url_path":
		p, _, _ := strings.Cut(path, "?")
		return PropString(p), statusOK
	case "query":
		_, q, _ := strings.Cut(path, "?")
		return PropString(q), statusOK
	case "host":
		return headerProp(h, ":authority")
	case "method":
		return headerProp(h, ":method")
	case "scheme":
		return headerProp(h, ":scheme")
	case "referer":
		return headerProp(h, "referer")
	case "useragent":
		return headerProp(h, "user-agent")
	case "id":
		return headerProp(h, "x-request-id")
	}
	return nil, statusNotFound
}

func responseProperty(s *Stream, key string) ([]byte, status) {
	h := s.respHeaders
	if name, ok := strings.CutPrefix(key, "headers."); ok {
		return headerProp(h, name)
	}
	if h == nil {
		return nil, statusNotFound
	}
	switch key {
	case "code":
		code, _ := h.get(":status")
		n := 0
		for _, c := range code {
			if c < '0' || c > '9' {
				return nil, statusNotFound
			}
			n = n*10 + int(c-'0')
		}
		return PropInt(int64(n)), statusOK
	case "headers":
		return marshalPairs(nil, h), statusOK
	}
	return nil, statusNotFound
}
