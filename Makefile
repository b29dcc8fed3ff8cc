# Outlet ticket kiosk. `make demo` runs the product on embedded defaults; `make test` passes the tests.
GO       ?= go
PKGS     ?= ./...
BIN      ?= bin
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X ticketkiosk/internal/version.Version=$(VERSION)

.PHONY: all build cross man test test-arm test-short e2e e2e-long chaos bench bench-all lint fmt demo deps fuzz deb clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# deps installs what the tests need on a Debian machine (Mosquitto), when it is missing.
deps:
	@scripts/install-deps.sh

test: deps
	$(GO) test -count=1 -timeout 30m $(PKGS)

# test-arm runs the pure packages' tests for armv6 (Raspberry Pi OS armhf) and arm64 under
# qemu-user. TestFullDisk, TestCrashDuringSales and TestPowerCut re-execute the test binary,
# which needs binfmt_misc, so they are left to the native run. Then the system test (build
# tag armsystem, not in make test) runs each Pi build of kioskd whole under qemu-user with
# Mosquitto and a native hub.
ARM_PKGS ?= ./catalog ./journal ./escpos ./store ./layout ./kiosk ./internal/translit \
	./device ./device/input ./device/term ./device/hd44780 ./device/matrix
test-arm: deps
	GOARCH=arm GOARM=6 $(GO) test -count=1 -exec qemu-arm-static -skip 'TestFullDisk|TestCrashDuringSales|TestPowerCut' $(ARM_PKGS)
	GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static -skip 'TestFullDisk|TestCrashDuringSales|TestPowerCut' $(ARM_PKGS)
	$(GO) test -count=1 -timeout 15m -tags armsystem -run '^TestFieldBinary$$' -v ./e2e/

test-short:
	$(GO) test -short -count=1 $(PKGS)

# bench prints the table of the issues' figures, each beside its baseline from the same run;
# bench-all runs every benchmark.
bench: deps
	scripts/bench.sh

bench-all:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 60m $(PKGS)

# lint runs staticcheck at the version go.mod pins (its `tool` line), whatever is on PATH.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags armsystem ./e2e/
	$(GO) tool staticcheck $(PKGS)
	$(GO) tool staticcheck -tags armsystem ./e2e/

fmt:
	gofmt -w $$(git ls-files '*.go')

demo:
	$(GO) run ./cmd/kioskctl demo

# fuzz runs every fuzz target for FUZZTIME (default 30s) and prints executions per target.
fuzz:
	FUZZTIME=$(or $(FUZZTIME),30s) scripts/fuzz.sh

# cross builds the Raspberry Pi binaries: armv6 (Raspberry Pi OS armhf) and arm64.
cross:
	GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/linux-armv6/ ./cmd/...
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/linux-arm64/ ./cmd/...
	@ls -l $(BIN)/linux-armv6 $(BIN)/linux-arm64

# man writes the manual pages into dist/man, gzipped as Debian installs them: kioskctl's
# generated from its command tree (kioskctl man, hidden), kioskd.8 hand-written in packaging/man
# (cmd/kioskd's TestManPage keeps it in step with kioskd's usage).
man:
	rm -rf dist/man && mkdir -p dist/man
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) $(GO) run -ldflags '$(LDFLAGS)' ./cmd/kioskctl man dist/man
	cp packaging/man/kioskd.8 dist/man/
	gzip -9n dist/man/*.1 dist/man/*.8

# deb builds the Raspberry Pi packages with nfpm (fetched through the Go module proxy).
NFPM ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
DEBVERSION ?= $(shell v=$$(git describe --tags --abbrev=0 2>/dev/null | sed 's/^v//'); echo $${v:-0.1.0}+g$$(git rev-parse --short HEAD))
deb: cross man
	mkdir -p dist
	for a in armhf:linux-armv6 arm64:linux-arm64; do \
		rm -rf dist/stage && mkdir -p dist/stage && cp $(BIN)/$${a#*:}/kioskd $(BIN)/$${a#*:}/kioskctl dist/stage/ && \
		ARCH=$${a%%:*} VERSION=$(DEBVERSION) $(NFPM) pkg --packager deb --config packaging/nfpm.yaml --target dist/ || exit 1; \
	done
	rm -rf dist/stage
	@ls -l dist/*.deb

# e2e runs the system-level suite (built kioskd and kioskctl, Mosquitto on loopback):
# end to end, security checks and a short chaos run (also part of make test).
e2e: deps
	$(GO) test -count=1 -v -timeout 20m ./e2e/

# e2e-long is the end-to-end run with more kiosks and sales.
e2e-long: deps
	E2E_LONG=1 $(GO) test -count=1 -v -timeout 30m -run TestEndToEnd ./e2e/

# chaos breaks things for CHAOS_DURATION (default 30m) while kiosks sell; prints the counts.
chaos: deps
	$(GO) test -count=1 -v -timeout 120m -run TestChaos ./e2e/ -chaos.duration $(or $(CHAOS_DURATION),30m)

clean:
	rm -rf $(BIN)
