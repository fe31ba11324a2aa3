// Package route maps a request path to an API from shared data:
// /{context}/{version}/... selects that API version, /{context}/... the
// context's default version when one is marked. Contexts may span up to
// MaxContextSegments path segments ("/t/tenant/pizza/1.0.0/..."), so an
// unknown route costs at most 2×MaxContextSegments lookups and a known one
// usually one.
package route

import (
	"github.com/certgate/certgate/shared"
)

// MaxContextSegments bounds how many leading path segments a context may span.
const MaxContextSegments = 3

// Lookup reads one record (already resolved to the reader's generation).
type Lookup interface {
	Record(key string) ([]byte, bool)
}

// Entry is a published API with its identifier computed once.
type Entry struct {
	API shared.API
	ID  string
}

// NewEntry wraps a decoded API.
func NewEntry(a shared.API) *Entry { return &Entry{API: a, ID: a.ID()} }

// Source answers the two questions routing asks, at the reader's
// generation. Both take substrings of the request path, so a caching
// Source can look them up without allocating.
type Source interface {
	// API returns the API served at /{context}/{version}/, where cv is
	// "{context}/{version}" and contextLen the length of its context part.
	API(cv string, contextLen int) (*Entry, bool)
	// Default returns the API serving context's default version.
	Default(context string) (*Entry, bool)
}

// Records is the Source that reads and decodes records on every call.
type Records struct{ L Lookup }

// API implements Source.
func (r Records) API(cv string, contextLen int) (*Entry, bool) {
	if contextLen < 0 || contextLen >= len(cv) {
		return nil, false
	}
	return load(r.L, shared.KeyAPI(cv[:contextLen], cv[contextLen+1:]))
}

// Default implements Source.
func (r Records) Default(context string) (*Entry, bool) {
	rec, ok := r.L.Record(shared.KeyDefaultVersion(context))
	if !ok {
		return nil, false
	}
	v, err := shared.DecodeDefaultVersion(rec)
	if err != nil {
		return nil, false
	}
	return load(r.L, shared.KeyAPI(context, v))
}

// Match is a matched API.
type Match struct {
	*Entry
	// ViaDefault is true when the path had no version and the default version was used.
	ViaDefault bool
}

// Find matches path (query and fragment are ignored) against the APIs in l.
func Find(path string, l Lookup) (Match, bool) { return FindIn(path, Records{l}) }

// FindIn matches path (query and fragment are ignored) against the APIs of s.
func FindIn(path string, s Source) (Match, bool) {
	if i := indexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if len(path) == 0 || path[0] != '/' {
		return Match{}, false
	}
	// ends[i] = index just past segment i (segments of path[1:]).
	var ends [MaxContextSegments + 1]int
	n := 0
	pos := 1
	for n < len(ends) && pos <= len(path) {
		j := pos
		for j < len(path) && path[j] != '/' {
			j++
		}
		if j == pos { // empty segment ("//" or trailing "/")
			break
		}
		ends[n] = j
		n++
		pos = j + 1
	}
	for k := 1; k <= n && k <= MaxContextSegments; k++ {
		ctxLen := ends[k-1] - 1
		if k < n {
			if e, ok := s.API(path[1:ends[k]], ctxLen); ok {
				return Match{Entry: e}, true
			}
		}
		if e, ok := s.Default(path[1:ends[k-1]]); ok {
			return Match{Entry: e, ViaDefault: true}, true
		}
	}
	return Match{}, false
}

func load(l Lookup, key string) (*Entry, bool) {
	rec, ok := l.Record(key)
	if !ok {
		return nil, false
	}
	a, err := shared.DecodeAPI(rec)
	if err != nil {
		return nil, false
	}
	return NewEntry(a), true
}

func indexAny(s, chars string) int {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return i
			}
		}
	}
	return -1
}
