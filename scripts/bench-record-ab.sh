#!/usr/bin/env bash
# A/B comparison of two podmark builds' recording CPU (docs/benchmarks.md,
# "## Recording"): both builds and jack_capture record the same 2-channel JACK
# stream (looping pink noise from sndfile-jackplay) at once, 24-bit 48 kHz, for
# SECS seconds, RUNS times, alternating which build starts first. Single runs
# on a shared machine spread by ±10 % or more; recording at the same time
# puts both builds under the same load, so their difference shows.
#
# Usage: scripts/bench-record-ab.sh BIN_A BIN_B [SECS] [RUNS]   (default 30 s, 4 runs)
#   e.g. git stash; go build -o /tmp/a ./cmd/podmark; git stash pop; go build -o /tmp/b ./cmd/podmark
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [SECS] [RUNS]" >&2; exit 2; }
A=$(realpath "$1"); B=$(realpath "$2"); secs=${3:-30}; runs=${4:-4}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
. scripts/services.sh
dev=$("$A" devices | awk -F'\t' '$3 == "JACK Audio Connection Kit" { print $1; exit }')
[ -n "$dev" ] || { echo "bench: no JACK device in 'podmark devices'" >&2; exit 1; }
. scripts/jack-bench.sh
sox -n -r 48000 -c 2 -b 24 "$tmp/noise.wav" synth 10 pinknoise vol 0.3
start_player "$tmp/noise.wav"

record() { # record NAME BIN: starts BIN recording (CPU to $tmp/NAME.cpu), connected to the player
  local b
  b=$(jack_lsp)
  sleep $((secs + 40)) | rusage "$tmp/$1.cpu" "$2" record --out "$tmp/$1" --device "$dev" --channels 2 \
    --rate 48000 --bits 24 --host ab --duration "${secs}s" >/dev/null 2>"$tmp/$1.log" &
  feed_new_client "$b" "podmark build $1" "$tmp/$1.log" "$tmp/$1/session.json"
}
sa=0; sb=0; sj=0
for run in $(seq "$runs"); do
  if ((run % 2)); then record A "$A"; record B "$B"; else record B "$B"; record A "$A"; fi
  rusage "$tmp/jc.cpu" jack_capture --daemon --channels 2 --bitdepth 24 --port "$jp:out_1" --port "$jp:out_2" \
    --recording-time "$secs" --filename "$tmp/jc.wav" >/dev/null 2>&1
  for _ in $(seq 300); do [ -s "$tmp/A.cpu" ] && [ -s "$tmp/B.cpu" ] && break; sleep 0.1; done
  a=$(cpu_of "$tmp/A.cpu"); b=$(cpu_of "$tmp/B.cpu"); j=$(cpu_of "$tmp/jc.cpu")
  echo "run $run: A $a s, B $b s, jack_capture $j s"
  sa=$(awk -v x="$sa" -v y="$a" 'BEGIN { print x + y }'); sb=$(awk -v x="$sb" -v y="$b" 'BEGIN { print x + y }')
  sj=$(awk -v x="$sj" -v y="$j" 'BEGIN { print x + y }')
  rm -rf "$tmp/A" "$tmp/B" "$tmp"/*.cpu "$tmp"/*.log "$tmp/jc.wav"
done
awk -v a="$sa" -v b="$sb" -v j="$sj" -v n="$runs" 'BEGIN {
  printf "mean of %d runs: A %.3f s, B %.3f s (B/A %.2f), jack_capture %.3f s (A/jc %.2f, B/jc %.2f)\n",
    n, a / n, b / n, b / a, j / n, a / j, b / j }'
