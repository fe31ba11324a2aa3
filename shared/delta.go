package shared

import (
	"encoding/binary"
	"hash/crc32"
)

// Delta is one answer of the manager's long-poll endpoint
// (GET /gateway/v1/snapshot): the record writes that move a gateway's
// shared data from manager config version Since to Version. The filter
// applies Writes with Publish, as one generation, so readers never see
// half of it.
//
// Wire format (ContentTypeDelta):
//
//	"CGD1" uvarint version, uvarint since, bool full,
//	uvarint count { str key, bool delete, bytes record } crc32(IEEE, all before) big-endian
//
// The trailing checksum makes a truncated or corrupted body fail to decode
// instead of being applied in part.
type Delta struct {
	Version uint64
	Since   uint64
	// Full is set when Writes hold every live key (Since was 0 or older than
	// the manager's history); tombstones for keys the manager knows were
	// deleted are included.
	Full   bool
	Writes []Write
}

// ContentTypeDelta is the media type of an encoded Delta.
const ContentTypeDelta = "application/vnd.certgate.delta"

const deltaMagic = "CGD1"

// maxDeltaWrites bounds the writes one delta may carry (4 per certificate at 1M certificates).
const maxDeltaWrites = 4 << 20

// Encode returns the wire encoding of d.
func (d *Delta) Encode() []byte {
	n := len(deltaMagic) + 32
	for i := range d.Writes {
		n += len(d.Writes[i].Key) + len(d.Writes[i].Record) + 8
	}
	e := encoder{b: make([]byte, 0, n)}
	e.b = append(e.b, deltaMagic...)
	e.uint(d.Version)
	e.uint(d.Since)
	e.boolean(d.Full)
	e.uint(uint64(len(d.Writes)))
	for i := range d.Writes {
		w := &d.Writes[i]
		e.str(w.Key)
		e.boolean(w.Delete)
		e.bytes(w.Record)
	}
	return binary.BigEndian.AppendUint32(e.b, crc32.ChecksumIEEE(e.b))
}

// DecodeDelta decodes and checks an encoded Delta. Records alias b.
func DecodeDelta(b []byte) (Delta, error) {
	var out Delta
	if len(b) < len(deltaMagic)+4 || string(b[:len(deltaMagic)]) != deltaMagic {
		return out, ErrCorrupt
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return out, ErrCorrupt
	}
	d := decoder{b: body[len(deltaMagic):]}
	out.Version = d.uint()
	out.Since = d.uint()
	out.Full = d.boolean()
	n := d.count(3)
	if n > maxDeltaWrites {
		d.fail()
	}
	if d.err == nil && n > 0 {
		out.Writes = make([]Write, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		var w Write
		w.Key = d.str()
		w.Delete = d.boolean()
		w.Record = d.raw()
		if d.err == nil && (w.Key == "" || len(w.Key) <= len(Prefix) || w.Key[:len(Prefix)] != Prefix || w.Key == KeyCurrent || isSyncKey(w.Key) || len(w.Key) >= len(RateLimitPrefix) && w.Key[:len(RateLimitPrefix)] == RateLimitPrefix) {
			d.fail() // only snapshot record keys: not the generation, sync state or throttle counters
		}
		out.Writes = append(out.Writes, w)
	}
	if err := d.done(); err != nil {
		return Delta{}, err
	}
	return out, nil
}
