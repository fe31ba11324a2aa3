package wasmtest

// A tiny WebAssembly binary encoder for hand-made test modules (import
// checks, start-up rules, proc_exit, get_log_level): enough of the format to
// declare imports, functions, one memory, exports and data segments.

const (
	tI32 = 0x7f
	tI64 = 0x7e
)

type rawImport struct {
	module, name    string
	params, results []byte
}

type rawFunc struct {
	export          string
	params, results []byte
	body            []byte // instructions, without locals or the final end
}

type rawModule struct {
	imports []rawImport
	funcs   []rawFunc
	data    map[uint32][]byte // offset -> bytes in memory 0
	noMem   bool
}

func uleb(v uint64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func sleb(v int64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func vecBytes(b []byte) []byte { return append(uleb(uint64(len(b))), b...) }

func str(s string) []byte { return vecBytes([]byte(s)) }

func section(id byte, count int, payload []byte) []byte {
	body := append(uleb(uint64(count)), payload...)
	return append([]byte{id}, vecBytes(body)...)
}

// Instruction helpers.
func i32Const(v int32) []byte { return append([]byte{0x41}, sleb(int64(v))...) }
func i64Const(v int64) []byte { return append([]byte{0x42}, sleb(v)...) }
func call(idx int) []byte     { return append([]byte{0x10}, uleb(uint64(idx))...) }
func localGet(i int) []byte   { return append([]byte{0x20}, uleb(uint64(i))...) }

var (
	opDrop        = []byte{0x1a}
	opUnreachable = []byte{0x00}
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// encode renders the module; function index space is imports first, then
// funcs in order.
func (m rawModule) encode() []byte {
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	var types [][2][]byte
	typeIdx := func(p, r []byte) int {
		for i, t := range types {
			if string(t[0]) == string(p) && string(t[1]) == string(r) {
				return i
			}
		}
		types = append(types, [2][]byte{p, r})
		return len(types) - 1
	}
	var imp, fn, exp, code []byte
	for _, im := range m.imports {
		imp = append(imp, cat(str(im.module), str(im.name), []byte{0x00}, uleb(uint64(typeIdx(im.params, im.results))))...)
	}
	nexp := 0
	for i, f := range m.funcs {
		fn = append(fn, uleb(uint64(typeIdx(f.params, f.results)))...)
		if f.export != "" {
			exp = append(exp, cat(str(f.export), []byte{0x00}, uleb(uint64(len(m.imports)+i)))...)
			nexp++
		}
		body := cat([]byte{0x00}, f.body, []byte{0x0b}) // no locals
		code = append(code, vecBytes(body)...)
	}
	if !m.noMem {
		exp = append(exp, cat(str("memory"), []byte{0x02, 0x00})...)
		nexp++
	}
	var typ []byte
	for _, t := range types {
		typ = append(typ, cat([]byte{0x60}, vecBytes(t[0]), vecBytes(t[1]))...)
	}
	out = append(out, section(1, len(types), typ)...)
	if len(m.imports) > 0 {
		out = append(out, section(2, len(m.imports), imp)...)
	}
	out = append(out, section(3, len(m.funcs), fn)...)
	if !m.noMem {
		out = append(out, section(5, 1, []byte{0x00, 0x02})...) // 2 pages, no max
	}
	out = append(out, section(7, nexp, exp)...)
	out = append(out, section(10, len(m.funcs), code)...)
	if len(m.data) > 0 {
		var data []byte
		for off, b := range m.data {
			data = append(data, cat([]byte{0x00}, i32Const(int32(off)), []byte{0x0b}, vecBytes(b))...)
		}
		out = append(out, section(11, len(m.data), data)...)
	}
	return out
}

func i32n(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = tI32
	}
	return b
}

// minimalProxyModule returns a module that satisfies Envoy's start-up
// requirements (ABI version export, malloc, memory) plus extra.
func minimalProxyModule(extraImports []rawImport, extraFuncs ...rawFunc) rawModule {
	m := rawModule{imports: extraImports}
	m.funcs = append([]rawFunc{
		{export: "proxy_abi_version_0_2_1"},
		{export: "malloc", params: i32n(1), results: i32n(1), body: i32Const(4096)},
		{export: "proxy_on_context_create", params: i32n(2)},
	}, extraFuncs...)
	return m
}
