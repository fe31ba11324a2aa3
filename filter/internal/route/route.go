// Package route maps a request path to an API from shared data:
// /{context}/{version}/... selects that API version, /{context}/... the
// context's default version when one is marked. Contexts may span up to
// MaxContextSegments path segments ("/t/tenant/pizza/1.0.0/..."), so an
// unknown route costs at most 2×MaxContextSegments shared-data reads and a
// known one usually two.
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

// Match is a matched API.
type Match struct {
	API shared.API
	// ViaDefault is true when the path had no version and the default version was used.
	ViaDefault bool
}

// Find matches path (query and fragment are ignored) against the APIs in l.
func Find(path string, l Lookup) (Match, bool) {
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
		ctx := path[1:ends[k-1]]
		if k < n {
			version := path[ends[k-1]+1 : ends[k]]
			if a, ok := load(l, shared.KeyAPI(ctx, version)); ok {
				return Match{API: a}, true
			}
		}
		if rec, ok := l.Record(shared.KeyDefaultVersion(ctx)); ok {
			if v, err := shared.DecodeDefaultVersion(rec); err == nil {
				if a, ok := load(l, shared.KeyAPI(ctx, v)); ok {
					return Match{API: a, ViaDefault: true}, true
				}
			}
		}
	}
	return Match{}, false
}

func load(l Lookup, key string) (shared.API, bool) {
	rec, ok := l.Record(key)
	if !ok {
		return shared.API{}, false
	}
	a, err := shared.DecodeAPI(rec)
	return a, err == nil
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
