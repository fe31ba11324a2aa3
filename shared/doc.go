// Package shared is the contract between certgate's manager and its
// proxy-wasm filter: the shared-data key layout, the compact binary codec of
// every value the filter reads, the header and property names, and the
// WSO2-compatible error codes and body.
//
// It uses the standard library only and compiles under TinyGo; every decoder
// is bounds-checked and fuzzed, because the filter runs it on every request
// and a panic would trap the VM.
//
// # Key layout and generations
//
// Every entity lives under one stable key (see the Key* functions), so a
// request does O(1) reads however many certificates exist: the generation
// pointer ([KeyCurrent]), the API, the certificate, the revocation entry,
// the tier and the throttle counter.
//
// A snapshot update is published as a new generation G+1 without copying
// the unchanged entries: each value is a small versioned container holding
// at most two versions, each tagged with the generation that introduced it
// (a deletion is a tombstone version). The writer first merges the G+1
// versions into every changed key (the G version stays beside it), then
// flips [KeyCurrent] from G to G+1 with a CAS. A reader reads [KeyCurrent]
// once per request and, for every key, takes the newest version whose
// generation is ≤ the one it read ([Visible]); so it sees all of G or all of
// G+1, never half an update. The older version of a key is dropped the next
// time the key is written, which is the garbage collection of old
// generations: no key is ever written for an unchanged entity, and keys
// never accumulate per generation (Envoy's shared data cannot delete keys).
package shared
