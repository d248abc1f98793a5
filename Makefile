# nats-auth-operator Makefile. `make help` lists the targets.
SHELL := /usr/bin/env bash
GO ?= go
BIN := $(CURDIR)/bin
# The binaries' version, the image tag and the release's: the git tag, else v0.1.0-dev-<commit>.
VERSION ?= $(shell hack/version.sh)
LDFLAGS := -X main.version=$(VERSION)
# Tests start real processes; bound the whole run so a hang fails instead of stalling CI.
TEST_TIMEOUT ?= 20m

.PHONY: help
help: ## List targets.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

.PHONY: generate
generate: ## Regenerate deepcopy, clientset, listers, informers and CRD YAML.
	hack/update-codegen.sh
	hack/update-crds.sh

.PHONY: verify
verify: ## Fail on stale generated code, gofmt, go vet, or the import guard.
	hack/verify-gofmt.sh
	$(GO) vet ./...
	hack/verify-imports.sh
	hack/verify-generated.sh

.PHONY: build
build: ## Build the binaries into ./bin.
	@mkdir -p $(BIN)
	@if compgen -G "cmd/*/main.go" >/dev/null; then $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...; fi

.PHONY: image
image: ## Build the image (both binaries, static, user 65532, no shell) into bin/image without docker: OCI layout + docker-archive, tag VERSION.
	VERSION=$(VERSION) hack/build-image.sh

.PHONY: release
release: ## Write bin/release/install.yaml (CRDs and the controller) with the image pinned to VERSION.
	VERSION=$(VERSION) hack/release.sh

.PHONY: test-deps
test-deps: ## Install etcd, kube-apiserver, nats-server and the nats CLI into ./bin (cached per machine).
	hack/install-test-deps.sh

.PHONY: test-unit
test-unit: ## Unit tests: pure packages and the controllers' and resolver's syncs on fake clientsets (no processes).
	$(GO) test -count=1 -short ./natsjwt/... ./apis/... ./internal/... ./controllers/... ./resolver/ ./cmd/...

.PHONY: test-integration
test-integration: test-deps ## Every test, including real kube-apiserver, etcd and nats-server.
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# The node suite starts a whole cluster; a healthy run takes about a minute.
NODE_TEST_TIMEOUT ?= 15m

.PHONY: test-node
test-node: test-deps image ## Run the image and manifests as Pods on a real single-node Kubernetes (root; first run builds kubelet & co., ~25 min). Part of `make test` as root.
	hack/install-node-deps.sh
	NATSAUTH_NODE_E2E=1 NATSAUTH_NODE_VERSION=$(VERSION) NATSAUTH_NODE_IMAGE_TAR=$(BIN)/image/nats-auth-operator-$(VERSION).tar \
	  $(GO) test -count=1 -v -timeout $(NODE_TEST_TIMEOUT) ./test/node/

# How long fuzz-seeds fuzzes each target (a Go duration); the seed corpora also run in every `go test`.
FUZZ_TIME ?= 5s

.PHONY: fuzz-seeds
fuzz-seeds: ## Run every fuzz target of the repo for FUZZ_TIME beyond its seed corpus (FUZZ_TIME=10m for a long run).
	@pkgs=$$(grep -rl --include='*_test.go' --exclude-dir=.git --exclude-dir=bin '^func Fuzz' . | xargs -n1 dirname | sort -u); \
	for pkg in $$pkgs; do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZ_TIME) || exit 1; \
	  done; \
	done

.PHONY: test
test: test-deps verify build test-integration test-node-if-root ## The full suite: what CI runs (the node suite needs root).

# The node suite installs Debian packages and runs a kubelet, so it needs root; elsewhere
# `make test` runs everything else and says what it skipped.
.PHONY: test-node-if-root
test-node-if-root:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) test-node; else echo "make test: skipping make test-node (needs root; see README)"; fi

.PHONY: demo
demo: test-deps ## Run the whole system locally on 127.0.0.1 until Ctrl-C (DEMO_EXIT=1: exit after the check).
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/controller ./cmd/controller
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/resolver ./cmd/resolver
	@# Built, not `go run`: go run exits 1 after Ctrl-C even when the demo stopped cleanly.
	$(GO) build -o $(BIN)/nats-auth-demo ./test/demo
	$(BIN)/nats-auth-demo $(if $(filter 1 true yes,$(DEMO_EXIT)),--exit-after-check)

.PHONY: bench
bench: test-deps ## Benchmarks against a real control plane (BENCH_ARGS="--users 1000,2000,5000 --record").
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/controller ./cmd/controller
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/resolver ./cmd/resolver
	$(GO) build -o $(BIN)/nats-auth-bench ./test/bench
	BENCH_COMMAND="make bench" $(BIN)/nats-auth-bench $(BENCH_ARGS)

.PHONY: soak
soak: test-deps ## Chaos soak on real processes, 10 minutes by default (SOAK_ARGS="--duration 2m --seed N").
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/controller ./cmd/controller
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/resolver ./cmd/resolver
	$(GO) build -o $(BIN)/nats-auth-soak ./test/soak
	$(BIN)/nats-auth-soak $(SOAK_ARGS)
