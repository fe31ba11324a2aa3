package badgerstore

import (
	"encoding/binary"
	"fmt"
)

var (
	keyVersion = []byte("meta/version")
	keyInit    = []byte("meta/init")
)

func apiKey(id string) []byte                  { return []byte("api/" + id) }
func apiCtxKey(context, version string) []byte { return []byte("apik/" + context + "\x00" + version) }
func apiDefaultKey(context string) []byte      { return []byte("apidef/" + context) }
func certCountKey(apiID string) []byte         { return []byte("certn/" + apiID) }
func certPrefix(apiID string) []byte           { return []byte("cert/" + apiID + "/") }
func certKey(apiID, alias string) []byte       { return []byte("cert/" + apiID + "/" + alias) }
func certFPKey(apiID, fp string) []byte        { return []byte("certfp/" + apiID + "/" + fp) }
func histPrefix(apiID string) []byte           { return []byte("hist/" + apiID + "/") }
func histKey(apiID, alias string, v uint64) []byte {
	return []byte(fmt.Sprintf("hist/%s/%s/%020d", apiID, alias, v))
}
func tierKey(name string) []byte   { return []byte("tier/" + name) }
func usePrefix(tier string) []byte { return []byte("use/" + tier + "/") }
func useKey(tier, apiID, alias string) []byte {
	return []byte("use/" + tier + "/" + apiID + "/" + alias)
}
func profileKey(name string) []byte         { return []byte("bp/" + name) }
func profileServerKey(server string) []byte { return []byte("bps/" + server) }
func auditKey(seq uint64) []byte            { return []byte(fmt.Sprintf("audit/%020d", seq)) }

func encodeUint(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func decodeUint(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("badgerstore: corrupt counter of %d bytes", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}
