#!/usr/bin/env bash
# The README's test command (`make test`): formatting, vet, and every test
# on SQLite and PostgreSQL with the browser tests, then a summary line.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

./scripts/test-services.sh

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
# The load script is a module of its own (vegeta stays out of the server's
# go.mod), which ./... does not reach: build and vet it so that it cannot rot.
# The load script is a module of its own that requires this one: a change
# of this module's dependencies needs `go mod tidy` there too.
(cd scripts/loadtest && go build -o /dev/null . && go vet ./...) ||
	{ echo "scripts/loadtest does not build; after changing go.mod here, run (cd scripts/loadtest && go mod tidy)" >&2; exit 1; }

# Two packages at a time: the machine has two cores, and each package's
# PostgreSQL and browser tests are heavier than its CPU share suggests.
go tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg -- -p 2 -count=1 -timeout 40m "$@" ./...
