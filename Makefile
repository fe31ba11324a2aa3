# certgate — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CACHE      ?= $(or $(CERTGATE_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/certgate)
TINYGO_ENV := $(CACHE)/tinygo.env
export CERTGATE_CACHE := $(CACHE)

VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# -buildmode=wasi-legacy: _start returns instead of calling proc_exit (Envoy keeps the VM).
TINYGO_FLAGS := -no-debug -scheduler=none -buildmode=wasi-legacy -target=wasi
GO_TEST_FLAGS ?= -count=1 -timeout 15m

FILTER_SRC := $(shell find filter shared -name '*.go' -o -name 'go.mod' -o -name 'go.sum' 2>/dev/null)
TESTFILTER_WASM := $(addprefix build/testfilters/,$(addsuffix .wasm,$(notdir $(patsubst %/,%,$(dir $(wildcard wasmtest/testfilters/*/main.go))))))

.PHONY: help tools build wasm test vet unit bench run clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

tools: ## install TinyGo $(TINYGO_VERSION) + LLVM 19 into $(CACHE) (idempotent)
	@bash scripts/install-tinygo.sh

build: build/certgate build/certgate-filter.wasm ## build the manager binary and the filter .wasm

wasm: build/certgate-filter.wasm $(TESTFILTER_WASM)

build/certgate: $(shell find cmd manager shared wasmtest gateway envoy-config -name '*.go' 2>/dev/null) go.mod go.sum
	@mkdir -p build
	go build -ldflags "-X main.version=$(VERSION)" -o $@ ./cmd/certgate

build/certgate-filter.wasm: $(FILTER_SRC) | tools
	@mkdir -p build
	. $(TINYGO_ENV) && cd filter && tinygo build -tags=custommalloc -o ../$@ $(TINYGO_FLAGS) .

build/testfilters/%.wasm: wasmtest/testfilters/%/*.go wasmtest/testfilters/go.mod | tools
	@mkdir -p build/testfilters
	. $(TINYGO_ENV) && cd wasmtest/testfilters && tinygo build -o ../../$@ $(TINYGO_FLAGS) ./$*

vet: ## go vet every module
	go vet ./...
	cd shared && go vet ./...
	cd filter && go vet ./...

unit: ## native unit tests of shared/ and filter/ (no wasm)
	cd shared && go test $(GO_TEST_FLAGS) ./...
	cd filter && go test $(GO_TEST_FLAGS) ./...

test: vet wasm unit ## vet + unit tests + wasm tests (installs TinyGo, builds the .wasm first)
	CERTGATE_BUILD_DIR=$(CURDIR)/build go test $(GO_TEST_FLAGS) ./...

bench: wasm ## benchmarks (ns/op, allocations, ratios against the no-op baseline)
	CERTGATE_BUILD_DIR=$(CURDIR)/build go test -run '^$$' -bench . -benchmem -count=1 -timeout 20m ./...

RUN_DATA   ?= $(CACHE)/manager-data
RUN_LISTEN ?= 127.0.0.1:9443
RUN_URL    := http://$(RUN_LISTEN)/api/am/publisher/v4
RUN_GATEWAY_DATA   ?= $(CACHE)/gateway-data
RUN_GATEWAY_LISTEN ?= 127.0.0.1:8443

run: build/certgate build/certgate-filter.wasm ## run the manager + a local HTTPS gateway (filter in wasmtest, no Envoy); prints URLs, token/CA paths, a curl walk-through
	@RUN_DATA=$(RUN_DATA) RUN_LISTEN=$(RUN_LISTEN) RUN_GATEWAY_DATA=$(RUN_GATEWAY_DATA) RUN_GATEWAY_LISTEN=$(RUN_GATEWAY_LISTEN) \
		bash scripts/run.sh

clean: ## remove build outputs (the toolchain cache stays)
	rm -rf build
