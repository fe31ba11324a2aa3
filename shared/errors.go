package shared

import (
	"strconv"
	"unicode/utf8"
)

// WSO2 API gateway error codes used in deny bodies.
const (
	CodeInvalidCredentials = 900901
	CodeMissingCredentials = 900902
	CodeThrottled          = 900800
	// CodeNoData is certgate's own: the filter has no snapshot yet (fail closed).
	CodeNoData = 900950
	// CodeNotFound is certgate's own: no API matches the route (only when configured to guard unknown routes).
	CodeNotFound = 900906
)

// Messages for the codes, as WSO2 words them.
const (
	MsgInvalidCredentials = "Invalid Credentials"
	MsgMissingCredentials = "Missing Credentials"
	MsgThrottled          = "Message throttled out"
	MsgNoData             = "Service Unavailable"
	MsgNotFound           = "No matching resource found for given API Request"
)

// ErrorBody renders the deny body {"code":…, "message":…, "description":…}
// (code as a JSON number) without encoding/json.
func ErrorBody(code int, message, description string) []byte {
	b := make([]byte, 0, 48+len(message)+len(description))
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, description)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 bytes become U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
		case c < 0x80:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}
