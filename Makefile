# TrustCred. Go 1.27.3 is required (1.26.x has known standard-library
# vulnerabilities); the go command fetches it once through the module proxy.
export GOTOOLCHAIN := go1.27.3

GO ?= go
NPM ?= npm

.PHONY: run build test test-short generate templ css htmx check-generated vet fmt clean

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

## generate: templ components and the CSS (needs Node.js and npm)
generate: templ css htmx

templ:
	$(GO) tool templ generate -log-level warn

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

css: node_modules/.package-lock.json
	$(NPM) run --silent css

htmx: node_modules/.package-lock.json
	$(NPM) run --silent htmx

## check-generated: fail if `make generate` changes any tracked file
check-generated: generate
	@git diff --exit-code --stat -- . || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go' static); \
	  if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

clean:
	rm -rf trustcred data
