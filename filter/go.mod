module github.com/certgate/certgate/filter

go 1.24

require (
	github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0
	github.com/tidwall/gjson v1.20.1
)

require github.com/tetratelabs/wazero v1.7.2 // indirect

require (
	github.com/certgate/certgate/shared v0.0.0
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
)

replace github.com/certgate/certgate/shared => ../shared
