#!/usr/bin/env bash
# The progressive hand-off's benchmark (figures go to "## Progressive hand-off: pull" in
# docs/benchmarks.md): one host records BENCH_PULL (default 10m) of espeak-ng speech on JACK in a
# room through a 2 Mbit/s toxiproxy link while uploading; the editor's `podmark pull --follow`
# runs all along. Prints the time from Stop to the editor's verified copy, the upload's largest lag
# during the show, and the peer measured in the same run: a plain `podmark pull` of the finished
# show over the same 2 Mbit/s (moving the files after the show), with the ratio.
# Uses JACK in real time: run it under `flock /tmp/podmark-stack.lock` on a shared machine.
# Usage: scripts/bench-pull.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh >/dev/null
PODMARK_BENCH_PULL=${BENCH_PULL:-10m} go test -count=1 -run TestPullStopToVerified -v -timeout 60m ./cmd/podmark | grep -E 'pull bench|ok|FAIL|---'
