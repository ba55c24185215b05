# One entry point for building, testing and installing. CI calls these targets.
PREFIX    ?= /usr/local
GO        ?= go
BIN       := bin
# A release tag vX.Y.Z on HEAD is the version (vX.Y.Z-N-gHASH after it); without
# one the version is "dev". The commit is always stamped, "-dirty" with edits.
VERSION   ?= $(shell git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; echo $$c; } || echo unknown)
PKG       := github.com/ecr-login/ecr-login
LDFLAGS   := -s -w -X $(PKG)/cmd/internal/cli.version=$(VERSION) -X $(PKG)/cmd/internal/cli.commit=$(COMMIT)
BINARIES  := docker-credential-ecr-login ecr-credential-provider
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
FUZZTIME  ?= 10s

export CGO_ENABLED ?= 0

# The programs ours replaces, built by e2e/peers.sh (outside the repository)
# for the side-by-side benches; exported so that every bench reads the same.
PEERS_DIR      ?= /tmp/ecr-login-peers
AWSLABS_HELPER ?= $(PEERS_DIR)/awslabs-v0.12.0/docker-credential-ecr-login
CPA_PROVIDER   ?= $(PEERS_DIR)/cloud-provider-aws-v1.37.1/ecr-credential-provider
export PEERS_DIR AWSLABS_HELPER CPA_PROVIDER

# -race needs cgo and a C compiler. RACE is "-race" when the toolchain would
# build with cgo by default (it turns cgo off when it finds no C compiler) and
# the compiler it names is on PATH; otherwise empty, and make test says so.
RACE = $(shell cc=$$(CGO_ENABLED= $(GO) env CC 2>/dev/null); \
	[ "$$(CGO_ENABLED= $(GO) env CGO_ENABLED 2>/dev/null)" = 1 ] && command -v "$${cc%% *}" >/dev/null 2>&1 && echo -race)

.PHONY: all help build install uninstall test test-short e2e demo bench bench-faults peers fleet fuzz lint cross release clean

all: build

## help: list the targets (this text comes from the "## target:" comments)
help:
	@awk '/^## [a-z][a-z0-9-]*: / { sub(/^## /, ""); i = index($$0, ":"); \
	  printf "  %-11s %s\n", substr($$0, 1, i - 1), substr($$0, i + 2) }' $(firstword $(MAKEFILE_LIST))

## build: the two binaries, plus the test stand-ins e2e uses, into ./bin
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))
	$(GO) build -o $(BIN)/ ./e2e/fake-ecr

## install: put the binaries in $(PREFIX)/bin
install:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(BIN)/,$(BINARIES)) $(DESTDIR)$(PREFIX)/bin/

## uninstall: remove the binaries from $(PREFIX)/bin (configure docker|podman --remove undoes the config first)
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(BINARIES))
	@echo "Removed $(BINARIES) from $(DESTDIR)$(PREFIX)/bin. Entries that 'configure docker|podman' added stay in"
	@echo "your config files: run 'docker-credential-ecr-login configure docker --remove' (and podman) before uninstalling."

## test: vet, formatting, and every test; -race when cgo and a C compiler are there (minutes: see README)
test:
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if [ -z "$(RACE)" ]; then echo "make test: no race detector (it needs cgo and a C compiler; 'go env CC' is not on PATH or CGO_ENABLED is off): running the tests without -race"; fi
	CGO_ENABLED=$(if $(RACE),1,0) $(GO) test $(RACE) -count=1 ./...

## test-short: the edit-test loop: go test -short, without the four slowest tests (about 25 s of CPU)
test-short:
	$(GO) test -short -count=1 ./...

## e2e: real registry and real clients (Linux, root); skips with a message elsewhere
e2e: build
	bash e2e/run.sh

## e2e-windows: the windows/amd64 binaries under Wine against the fake ECR (Linux, wine64)
.PHONY: e2e-windows
e2e-windows: build
	bash e2e/wine.sh

## demo: the main job end to end on embedded stand-ins (any machine with Go)
demo:
	$(GO) run ./e2e/demo

## bench: Go benchmarks, the fleet simulation, the side-by-side tables against awslabs and cloud-provider-aws (speed, then each fault); exits non-zero when a target is missed
bench: build peers
	$(GO) test -run XXX -bench . -benchmem ./cache/ ./ecr/
	$(GO) run ./e2e/fleet
	@rc=0; $(GO) run ./e2e/bench || rc=1; $(GO) run ./e2e/faultbench || rc=1; exit $$rc

## peers: build awslabs v0.12.0 and cloud-provider-aws v1.37.1 into $(PEERS_DIR) (once per version)
peers:
	@bash e2e/peers.sh >/dev/null

## fleet: 500 cold helper processes at once against a fake ECR with ECR's quota (20/s, burst 200)
fleet:
	$(GO) run ./e2e/fleet

## bench-faults: ours vs awslabs v0.12.0 under each ECR fault; fails if ours answers later or asks more
bench-faults: build peers
	$(GO) run ./e2e/faultbench

## fuzz: run every fuzz target for FUZZTIME each (default 10s)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run XXX -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

## lint: go vet and gofmt
lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))"

## cross: release binaries for every platform into ./dist
cross:
	@set -e; for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  for b in $(BINARIES); do \
	    echo "dist/$$os-$$arch/$$b$$ext"; \
	    GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$os-$$arch/$$b$$ext ./cmd/$$b; \
	  done; done

## release: VERSION=vX.Y.Z: reproducible archives, SBOMs, .deb/.rpm and SHA256SUMS into ./dist
release:
	bash scripts/release.sh '$(VERSION)'

## clean: remove ./bin and ./dist
clean:
	rm -rf $(BIN) dist
