#!/usr/bin/env bash
# Sets up a fresh machine and runs every podmark test: vet, unit and end-to-end
# tests under the race detector on the real stack (JACK dummy driver, Xvfb),
# then a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/services.sh
echo "== gofmt"; test -z "$(gofmt -l $(git ls-files '*.go'))" || { gofmt -l $(git ls-files '*.go'); exit 1; }
echo "== go vet"; go vet ./...
# The real-stack end-to-end tests (package main of cmd/podmark: JACK, Xvfb, the
# built binary) run after the other packages, alone: several JACK clients
# appearing at once make port discovery ambiguous, and CPU contention from
# parallel -race test binaries causes JACK xruns (dropped frames) that the
# recording tests would rightly report.
echo "== go test -race (packages)"
go test -race -count=1 -timeout 40m $(go list ./... | grep -v '/cmd/podmark$')
echo "== go test -race (end to end: cmd/podmark)"
go test -race -count=1 -timeout 40m ./cmd/podmark
echo "== fuzz (short)"
for f in $(grep -rl --include='*_test.go' '^func Fuzz' .); do
  pkg=./$(dirname "$f")
  for t in $(grep -h '^func Fuzz' "$f" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); do
    echo "-- $pkg $t"
    go test -run='^$' -fuzz="^$t\$" -fuzztime="${FUZZTIME:-8s}" "$pkg"
  done
done
echo "all tests passed"
