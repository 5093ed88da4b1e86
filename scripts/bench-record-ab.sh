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
sox -n -r 48000 -c 2 -b 24 "$tmp/noise.wav" synth 10 pinknoise vol 0.3
before=$(jack_lsp)
sndfile-jackplay -l 0 "$tmp/noise.wav" >/dev/null 2>&1 &
for _ in $(seq 50); do jack_lsp | grep -q '^jackplay.*:out_2$' && break; sleep 0.1; done
jp=$(jack_lsp | grep -v -x -F "$before" | grep ':out_1$' | head -1); jp=${jp%:out_1}
[ -n "$jp" ] || { echo "bench: sndfile-jackplay has no ports" >&2; exit 1; }

# cpu OUT CMD...: CMD's user+system seconds (rusage difference around the call) to OUT.
cpu() {
  python3 -c '
import resource, subprocess, sys
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.4f\n" % (r.ru_utime - r0.ru_utime + r.ru_stime - r0.ru_stime))
sys.exit(rc)' "$@"
}
# feed BEFORE: connects the client that appeared since BEFORE to the player only.
feed() {
  local c i
  for _ in $(seq 100); do jack_lsp | grep -v -x -F "$1" | grep -q ':in_1$' && break; sleep 0.1; done
  c=$(jack_lsp | grep -v -x -F "$1" | grep ':in_0$' | head -1); c=${c%:in_0}
  [ -n "$c" ] || { echo "bench: a podmark build has no JACK ports" >&2; exit 1; }
  for i in 1 2; do
    jack_disconnect "system:capture_$i" "$c:in_$((i - 1))" 2>/dev/null || true
    jack_connect "$jp:out_$i" "$c:in_$((i - 1))"
  done
}
record() { # record NAME BIN
  local b
  b=$(jack_lsp)
  sleep $((secs + 40)) | cpu "$tmp/$1.cpu" "$2" record --out "$tmp/$1" --device "$dev" --channels 2 \
    --rate 48000 --bits 24 --host ab --duration "${secs}s" &
  feed "$b"
}
sa=0; sb=0; sj=0
for run in $(seq "$runs"); do
  if ((run % 2)); then record A "$A"; record B "$B"; else record B "$B"; record A "$A"; fi
  cpu "$tmp/jc.cpu" jack_capture --daemon --channels 2 --bitdepth 24 --port "$jp:out_1" --port "$jp:out_2" \
    --recording-time "$secs" --filename "$tmp/jc.wav"
  for _ in $(seq 300); do [ -s "$tmp/A.cpu" ] && [ -s "$tmp/B.cpu" ] && break; sleep 0.1; done
  a=$(cat "$tmp/A.cpu"); b=$(cat "$tmp/B.cpu"); j=$(cat "$tmp/jc.cpu")
  echo "run $run: A $a s, B $b s, jack_capture $j s"
  sa=$(awk -v x="$sa" -v y="$a" 'BEGIN { print x + y }'); sb=$(awk -v x="$sb" -v y="$b" 'BEGIN { print x + y }')
  sj=$(awk -v x="$sj" -v y="$j" 'BEGIN { print x + y }')
  rm -rf "$tmp/A" "$tmp/B" "$tmp"/*.cpu "$tmp/jc.wav"
done
awk -v a="$sa" -v b="$sb" -v j="$sj" -v n="$runs" 'BEGIN {
  printf "mean of %d runs: A %.3f s, B %.3f s (B/A %.2f), jack_capture %.3f s (A/jc %.2f, B/jc %.2f)\n",
    n, a / n, b / n, b / a, j / n, a / j, b / j }'
