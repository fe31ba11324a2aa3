package plugin

import (
	"strings"

	"github.com/certgate/certgate/filter/internal/route"
	"github.com/certgate/certgate/shared"
)

// view caches, per VM and per generation, the decoded answers the hot
// path needs: routes, pinned-certificate verdicts and tiers. A request
// for a known API by a returning client therefore costs map lookups keyed
// by substrings of the request (no string building, no record decoding,
// no allocation). The whole view is dropped when the generation changes,
// so an update is seen by the very next request exactly as before; each
// map is bounded (cleared when full), so memory stays flat whatever the
// key space (random paths, 100k certificates).
type view struct {
	gen      uint64
	apis     map[string]*route.Entry // "context/version" → API (nil: none)
	defaults map[string]*route.Entry // context → default version's API (nil: none)
	pinned   map[pinKey]*pinnedCert
	tiers    map[string]*tierEntry
}

// viewMaxEntries bounds each map of the view. It is the hot set, not the
// whole key space: a decoded pinned record is a few hundred bytes, and at
// 4096 entries the 10k-client memory benchmark grew linear memory from 8 to
// 32 MiB; a returning client beyond the hot set still finds its raw record
// in the record cache (one decode, no host read).
const viewMaxEntries = 1024

// pinKey identifies a certificate on an API (the entry pointer is unique per generation).
type pinKey struct {
	api *route.Entry
	fp  [32]byte
}

// pinnedCert is the decoded pinned-certificate record of a certificate on an API.
type pinnedCert struct {
	present bool // a pinned record exists for this API
	corrupt bool // …but does not decode (the certificate is refused)
	cc      shared.ClientCert
	// rlKey is the full shared-data key of the certificate's throttle
	// counter on this API, built on first use.
	rlKey string
	// For a certificate not pinned on the API (the CA-issued path), filled
	// on first use: whether it is revoked, and the issuing CA's record for
	// the API (nil when none or corrupt).
	revokedKnown, revoked bool
	caKnown               bool
	ca                    *shared.CACert
}

type tierEntry struct {
	tier shared.Tier
	ok   bool
}

func (v *view) reset(gen uint64) {
	v.gen = gen
	v.apis = make(map[string]*route.Entry)
	v.defaults = make(map[string]*route.Entry)
	v.pinned = make(map[pinKey]*pinnedCert)
	v.tiers = make(map[string]*tierEntry)
}

// API implements route.Source.
func (s *store) API(cv string, contextLen int) (*route.Entry, bool) {
	v := &s.view
	if e, hit := v.apis[cv]; hit {
		return e, e != nil
	}
	e, ok := route.Records{L: s}.API(cv, contextLen)
	if !ok {
		e = nil
	}
	if len(v.apis) >= viewMaxEntries {
		clear(v.apis)
	}
	v.apis[strings.Clone(cv)] = e
	return e, ok
}

// Default implements route.Source.
func (s *store) Default(context string) (*route.Entry, bool) {
	v := &s.view
	if e, hit := v.defaults[context]; hit {
		return e, e != nil
	}
	e, ok := route.Records{L: s}.Default(context)
	if !ok {
		e = nil
	}
	if len(v.defaults) >= viewMaxEntries {
		clear(v.defaults)
	}
	v.defaults[strings.Clone(context)] = e
	return e, ok
}

// pinnedCert returns the pinned record of certificate c on API e.
func (s *store) pinnedCert(e *route.Entry, c *clientCert) *pinnedCert {
	v := &s.view
	k := pinKey{api: e, fp: c.fp}
	if pc, hit := v.pinned[k]; hit {
		return pc
	}
	pc := &pinnedCert{}
	if rec, ok := s.Record(shared.KeyCert(e.ID, c.fpHex)); ok {
		pc.present = true
		cc, err := shared.DecodeClientCert(rec)
		pc.cc, pc.corrupt = cc, err != nil
	}
	if len(v.pinned) >= viewMaxEntries {
		clear(v.pinned)
	}
	v.pinned[k] = pc
	return pc
}

// tier returns a decoded tier; an unknown or corrupt tier is not ok.
func (s *store) tier(name string) (shared.Tier, bool) {
	v := &s.view
	if t, hit := v.tiers[name]; hit {
		return t.tier, t.ok
	}
	t := &tierEntry{}
	if rec, ok := s.Record(shared.KeyTier(name)); ok {
		if d, err := shared.DecodeTier(rec); err == nil {
			d.Name = name
			t.tier, t.ok = d, true
		}
	}
	if len(v.tiers) >= viewMaxEntries {
		clear(v.tiers)
	}
	v.tiers[strings.Clone(name)] = t
	return t.tier, t.ok
}
