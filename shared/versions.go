package shared

// A versioned value holds at most two versions of one key's record, each
// tagged with the generation that introduced it:
//
//	'V' count(1..2) { uvarint gen, flags byte (1 = tombstone), uvarint len, record }
//
// Readers call Visible with the generation they read from KeyCurrent.

const maxVersions = 2

// Version is one version of a key's record.
type Version struct {
	Gen       uint64
	Tombstone bool
	Record    []byte
}

// EncodeVersions encodes up to two versions (the newest last).
func EncodeVersions(vs ...Version) []byte {
	n := 2
	for _, v := range vs {
		n += 12 + len(v.Record)
	}
	e := encoder{b: make([]byte, 0, n)}
	e.byte1(tagVersions)
	e.uint(uint64(len(vs)))
	for _, v := range vs {
		e.uint(v.Gen)
		e.boolean(v.Tombstone)
		e.bytes(v.Record)
	}
	return e.b
}

// DecodeVersions decodes a versioned value into at most two versions.
func DecodeVersions(b []byte) ([maxVersions]Version, int, error) {
	var out [maxVersions]Version
	d := decoder{b: b}
	d.header(tagVersions)
	n := d.uint()
	if d.err == nil && (n == 0 || n > maxVersions) {
		d.fail()
	}
	for i := 0; i < int(n) && d.err == nil; i++ {
		out[i].Gen = d.uint()
		out[i].Tombstone = d.boolean()
		out[i].Record = d.raw()
	}
	if err := d.done(); err != nil {
		return out, 0, err
	}
	return out, int(n), nil
}

// Visible returns the record a reader at generation gen sees in a
// versioned value: the newest version with Gen ≤ gen. ok is false when
// there is none, when it is a tombstone, or when the value is corrupt.
// It does not allocate.
func Visible(b []byte, gen uint64) (record []byte, ok bool) {
	vs, n, err := DecodeVersions(b)
	if err != nil {
		return nil, false
	}
	best := -1
	for i := 0; i < n; i++ {
		if vs[i].Gen <= gen && (best < 0 || vs[i].Gen >= vs[best].Gen) {
			best = i
		}
	}
	if best < 0 || vs[best].Tombstone {
		return nil, false
	}
	return vs[best].Record, true
}

// Merge returns the versioned value to store when generation gen (the one
// being published) writes record (or a tombstone) to a key whose current
// value is existing (nil when absent), given that readers are at generation
// current. It keeps the newest version visible at current beside the new
// one and drops anything older — that is the garbage collection of old
// generations. A corrupt existing value is replaced.
func Merge(existing []byte, current, gen uint64, tombstone bool, record []byte) []byte {
	next := Version{Gen: gen, Tombstone: tombstone, Record: record}
	vs, n, err := DecodeVersions(existing)
	if err != nil || n == 0 {
		return EncodeVersions(next)
	}
	best := -1
	for i := 0; i < n; i++ {
		if vs[i].Gen <= current && vs[i].Gen < gen && (best < 0 || vs[i].Gen >= vs[best].Gen) {
			best = i
		}
	}
	if best < 0 || vs[best].Tombstone {
		return EncodeVersions(next)
	}
	return EncodeVersions(vs[best], next)
}
