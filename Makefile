# TrustCred. Go 1.27.3 is required (1.26.x has known standard-library
# vulnerabilities); the go command fetches it once through the module proxy.
export GOTOOLCHAIN := go1.27.3

GO ?= go
NPM ?= npm

.PHONY: run build test test-short generate templ css htmx fonts check-generated vet fmt gosec vulncheck clean

## run: serve on http://localhost:8080 with the embedded SQLite database in ./data
run:
	$(GO) run ./cmd/trustcred serve $(ARGS)

## build: the trustcred binary in ./trustcred
build:
	$(GO) build -trimpath -o trustcred ./cmd/trustcred

## test: every test, on SQLite and PostgreSQL, with the browser tests
test:
	./scripts/test.sh

## test-short: unit and handler tests only (no PostgreSQL, no browser)
test-short:
	$(GO) test -short ./...

## generate: templ components, the CSS and the display fonts (needs Node.js and npm)
generate: templ css htmx fonts

templ:
	$(GO) tool templ generate -log-level warn

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

css: node_modules/.package-lock.json
	$(NPM) run --silent css

htmx: node_modules/.package-lock.json
	$(NPM) run --silent htmx

fonts: node_modules/.package-lock.json
	$(NPM) run --silent fonts

## check-generated: fail if `make generate` changes any tracked file
check-generated: generate
	@git diff --exit-code --stat -- . || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go' static); \
	  if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

# gosec runs at a pinned version through `go run` rather than as a go.mod
# tool: its AI-autofix dependencies would otherwise join the server's module
# graph. The first run builds it (minutes); later runs reuse the build cache.
GOSEC ?= github.com/securego/gosec/v2/cmd/gosec@v2.30.0
# The Go vulnerability database as a Go module (its OSV entries are in
# data/osv): fetched through the module proxy like any module, so the scan
# needs no other network. Move the version forward to scan against newer
# entries: `go list -m -versions` does not list it; take
# `go list -m golang.org/x/vulndb@latest`.
VULNDB ?= golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018

## gosec: the security linter over every package, and over the load script's
## own module; rule settings in .gosec.json, each exception a `#nosec Gnnn -- reason` at its line
gosec:
	$(GO) run $(GOSEC) -quiet -conf .gosec.json -nosec-require-rules -nosec-require-justification ./...
	cd scripts/loadtest && $(GO) run $(GOSEC) -quiet -conf ../../.gosec.json -nosec-require-rules -nosec-require-justification ./...

## vulncheck: govulncheck against the vulnerability database module, offline
vulncheck:
	@db=$$($(GO) mod download -json $(VULNDB) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	  if [ -z "$$db" ] || [ ! -d "$$db/data/osv" ]; then echo "vulncheck: no database in $(VULNDB)" >&2; exit 1; fi; \
	  $(GO) tool govulncheck -db "file://$$db/data/osv" ./...

clean:
	rm -rf trustcred data
