module github.com/certgate/certgate/wasmtest/testfilters

go 1.24

require github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0
