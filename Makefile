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

build/certgate: $(shell find cmd manager shared wasmtest -name '*.go' 2>/dev/null) go.mod go.sum
	@mkdir -p build
	go build -ldflags "-X main.version=$(VERSION)" -o $@ ./cmd/certgate

build/certgate-filter.wasm: $(FILTER_SRC) | tools
	@mkdir -p build
	. $(TINYGO_ENV) && cd filter && tinygo build -o ../$@ $(TINYGO_FLAGS) .

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

run: build/certgate ## run the manager on a local data dir (RUN_DATA, RUN_LISTEN); prints URL, token location, first curl
	@mkdir -p $(RUN_DATA)
	@echo "certgate manager  $(RUN_URL)"
	@echo "data dir          $(RUN_DATA)"
	@echo "admin token       $(RUN_DATA)/admin-token   (generated, mode 0600, on first start)"
	@echo "first call        curl -s -H \"Authorization: Bearer \$$(cat $(RUN_DATA)/admin-token)\" $(RUN_URL)/throttling-policies/subscription"
	@echo "health            curl -s http://$(RUN_LISTEN)/healthz      (Ctrl-C stops the manager)"
	@echo
	./build/certgate serve --listen $(RUN_LISTEN) --data-dir $(RUN_DATA)

clean: ## remove build outputs (the toolchain cache stays)
	rm -rf build
