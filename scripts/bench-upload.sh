#!/usr/bin/env bash
# Progressive hand-off benchmark (figures go to the "## Progressive hand-off" section of
# docs/benchmarks.md): CPU seconds (exact, rusage) of `podmark record --room` with the
# progressive FLAC encoding and upload (default cap 2000 kbit/s) against `jack_capture -f flac`
# recording the same 2-channel JACK stream (speech from espeak-ng over a -50 dBFS pink-noise
# floor, looped by sndfile-jackplay), both 24-bit at 48 kHz, for BENCH_SECONDS (default 60) in
# one run, printed as a ratio (goal: at most 1.0). podmark's figure includes everything until it
# exits: the wait after Stop until the relay's copy is verified. The relay (`podmark relay`,
# loopback) is a separate process, not counted. Also printed: the upload's lag while recording
# (from the status lines) and the time from Stop to "all sent and verified".
#
# Steady state: with BENCH_SECONDS above 90, the CPU of both processes is also sampled (from
# /proc, 10 ms ticks, all threads) 60 s after both started and 10 s before the end, and
# printed per minute of that span, with its ratio: what each further minute of a long show costs,
# without either process's start-up, podmark's joining or its wait after Stop.
#
# The two channels are the same speech over the same noise floor (sample-identical), unless
# BENCH_FLOOR=independent gives each channel a noise floor of its own, as two microphones have:
# on identical channels `jack_capture -f flac` (one stereo stream, libFLAC's side channel all
# zeros) encodes half the information podmark's two mono tracks do.
#
# Options (environment): BENCH_SECONDS (default 60); BENCH_ORDER (podmark-first, the default, or
# jack_capture-first: which of the two joins the JACK graph first); BENCH_FLOOR (above); BENCH_BINARY_B, a second
# prebuilt podmark recording the same stream into the same room at the same time (as host
# "benchb"), its CPU printed next to the first's: two builds compared in one run, under the same
# load; BENCH_BINARY, a prebuilt podmark to measure
# instead of building this tree (to alternate two builds in one lock hold); BENCH_ENV, extra
# NAME=VALUE words for podmark's environment (e.g. GODEBUG=gctrace=1: its lines go to the log,
# BENCH_KEEP keeps it); BENCH_KEEP, a directory that receives podmark's log and the segments'
# sizes.
#
# Usage: scripts/bench-upload.sh
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${BENCH_SECONDS:-60}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${BENCH_BINARY:-}" ]; then
  cp "$BENCH_BINARY" "$tmp/podmark"
else
  go build -o "$tmp/podmark" ./cmd/podmark
fi
pm=$tmp/podmark
pmb=""
if [ -n "${BENCH_BINARY_B:-}" ]; then cp "$BENCH_BINARY_B" "$tmp/podmark-b"; pmb=$tmp/podmark-b; fi
. scripts/jack-bench.sh
. scripts/services.sh
dev=$("$pm" devices | awk -F'\t' '$3 == "JACK Audio Connection Kit" { print $1; exit }')
[ -n "$dev" ] || { echo "bench: no JACK device in 'podmark devices'" >&2; exit 1; }

espeak-ng -w "$tmp/speech.wav" "Welcome back to the show. Today we talk about recording podcasts from home, \
with two hosts in two cities and an editor somewhere else. The audio goes to the editor while we talk, \
so the episode can be edited minutes after we stop. Let us start with the news of the week." 2>/dev/null
sox "$tmp/speech.wav" -r 48000 -c 2 -b 24 "$tmp/speech48.wav" gain -n -6 pad 0 0.5
if [ "${BENCH_FLOOR:-same}" = independent ]; then
  # Two microphones' own noise: the same speech over a floor of its own in each channel.
  for c in 1 2; do sox -n -r 48000 -c 1 -b 24 "$tmp/floor$c.wav" synth "$(soxi -D "$tmp/speech48.wav")" pinknoise vol 0.003; done
  sox -M "$tmp/floor1.wav" "$tmp/floor2.wav" "$tmp/floor.wav"
else
  sox -n -r 48000 -c 2 -b 24 "$tmp/floor.wav" synth "$(soxi -D "$tmp/speech48.wav")" pinknoise vol 0.003
fi
sox -m "$tmp/speech48.wav" "$tmp/floor.wav" -b 24 "$tmp/input.wav"
start_player "$tmp/input.wav"

"$pm" relay --listen 127.0.0.1:0 --store "$tmp/store" --quiet >"$tmp/relay.out" 2>&1 &
for _ in $(seq 100); do grep -q serving "$tmp/relay.out" && break; sleep 0.1; done
url=$(sed -n 's/.*serving \(nats:[^,]*\),.*/\1/p' "$tmp/relay.out")
[ -n "$url" ] || { echo "bench: the relay did not start" >&2; cat "$tmp/relay.out" >&2; exit 1; }

start_jack_capture() {
  rusage "$tmp/jc.time" \
    jack_capture --daemon --channels 2 --bitdepth 24 -f flac --port "$jp:out_1" --port "$jp:out_2" \
    --recording-time "$secs" --filename "$tmp/jc.flac" &
  jctime=$!
}
# JACK clients do not cost the same in every place of the graph: on this
# machine an empty PortAudio client costs up to twice as much started first
# as started last (see docs/benchmarks.md). BENCH_ORDER=jack_capture-first
# starts jack_capture before podmark; the default starts podmark first.
order=${BENCH_ORDER:-podmark-first}
case $order in
  podmark-first) ;;
  jack_capture-first) start_jack_capture; sleep 1 ;;
  *) echo "bench: BENCH_ORDER must be podmark-first or jack_capture-first, not $order" >&2; exit 2 ;;
esac
before=$(jack_lsp)
# shellcheck disable=SC2086 # BENCH_ENV is words on purpose
sleep $((secs + 120)) | rusage "$tmp/pm.time" env ${BENCH_ENV:-} \
  "$pm" record --out "$tmp/pm" --device "$dev" --channels 2 --rate 48000 --bits 24 \
  --host bench --duration "${secs}s" --room "$url/bench/upload" >"$tmp/pm.out" 2>"$tmp/pm.log" &
feed_new_client "$before" "podmark" "$tmp/pm.log" "$tmp/pm/session.json"
if [ -n "$pmb" ]; then
  before=$(jack_lsp)
  # shellcheck disable=SC2086
  sleep $((secs + 120)) | rusage "$tmp/pmb.time" env ${BENCH_ENV:-} \
    "$pmb" record --out "$tmp/pmb" --device "$dev" --channels 2 --rate 48000 --bits 24 \
    --host benchb --duration "${secs}s" --room "$url/bench/upload" >"$tmp/pmb.out" 2>"$tmp/pmb.log" &
  feed_new_client "$before" "podmark B" "$tmp/pmb.log" "$tmp/pmb/session.json"
fi
[ "$order" = jack_capture-first ] || start_jack_capture
# ticks PID: user+system clock ticks of PID's threads so far (/proc/PID/stat fields 14 and 15).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
steady=""
if [ "$secs" -gt 90 ]; then
  (
    pmpid=""; jcpid=""; pbpid=""
    for _ in $(seq 100); do
      pmpid=$(pgrep -n -f "^$pm record" || true); jcpid=$(pgrep -n -x jack_capture || true)
      [ -z "$pmb" ] || pbpid=$(pgrep -n -f "^$pmb record" || true)
      [ -n "$pmpid" ] && [ -n "$jcpid" ] && { [ -z "$pmb" ] || [ -n "$pbpid" ]; } && break
      sleep 0.05
    done
    [ -n "$pmpid" ] && [ -n "$jcpid" ] || { echo "bench: podmark ($pmpid) or jack_capture ($jcpid) not found" >&2; exit 1; }
    c1=0; c2=0
    sleep 60; a1=$(ticks "$pmpid"); b1=$(ticks "$jcpid"); [ -z "$pbpid" ] || c1=$(ticks "$pbpid"); t1=$(date +%s.%N)
    sleep $((secs - 70)); a2=$(ticks "$pmpid"); b2=$(ticks "$jcpid"); [ -z "$pbpid" ] || c2=$(ticks "$pbpid"); t2=$(date +%s.%N)
    echo "$a1 $a2 $b1 $b2 $t1 $t2 $(getconf CLK_TCK) $c1 $c2" >"$tmp/steady"
  ) &
  steady=$!
fi
# Stop -> verified, from podmark's own lines.
stopped=""; verified=""
for _ in $(seq $(((secs + 150) * 20))); do
  if [ -z "$stopped" ] && grep -q 'stopped (duration reached)' "$tmp/pm.log"; then stopped=$(date +%s.%N); fi
  if [ -n "$stopped" ] && grep -q 'upload: all sent and verified' "$tmp/pm.log"; then verified=$(date +%s.%N); break; fi
  sleep 0.05
done
wait "$jctime" || { echo "bench: jack_capture failed" >&2; exit 1; }
[ -z "$steady" ] || wait "$steady" || { echo "bench: the steady-state sampler failed" >&2; exit 1; }
for _ in $(seq 600); do [ -s "$tmp/pm.time" ] && break; sleep 0.1; done
if [ -n "$pmb" ]; then for _ in $(seq 1200); do [ -s "$tmp/pmb.time" ] && break; sleep 0.1; done; fi
kill "$play" 2>/dev/null || true
[ -n "$verified" ] || { echo "bench: the upload was not verified:" >&2; tail -20 "$tmp/pm.log" >&2; exit 1; }
pm_cpu=$(cpu_of "$tmp/pm.time"); jc_cpu=$(cpu_of "$tmp/jc.time")
lag=$(grep -o 'upload="[0-9]* s behind"' "$tmp/pm.log" | grep -o '[0-9]*' | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "median %s s, max %s s over %d status lines", a[int((NR + 1) / 2)], a[NR], NR }')
flacbytes=$(cat "$tmp"/pm/handoff/tracks/*/*.seg | wc -c)
echo "upload: started $order; ${secs}s of 2-channel 24-bit 48 kHz JACK input (speech over a -50 dBFS noise floor, ${BENCH_FLOOR:-same} in both channels), cap 2000 kbit/s"
echo "upload: podmark record --room  $pm_cpu s CPU (user/sys/maxrss: $(cat "$tmp/pm.time")), FLAC segments $flacbytes bytes ($(awk -v b="$flacbytes" -v s="$secs" 'BEGIN { printf "%.0f", b * 8 / s / 1000 }') kbit/s)"
echo "upload: jack_capture -f flac    $jc_cpu s CPU (user/sys/maxrss: $(cat "$tmp/jc.time")), $(stat -c %s "$tmp/jc.flac") bytes"
echo "upload: lag while recording: $lag"
awk -v a="$stopped" -v b="$verified" 'BEGIN { printf "upload: Stop -> all sent and verified: %.2f s\n", b - a }'
awk -v a="$pm_cpu" -v b="$jc_cpu" 'BEGIN { if (b > 0) printf "upload: ratio podmark record --room / jack_capture -f flac = %.2f (goal <= 1.0)\n", a / b }'
if [ -n "$pmb" ]; then
  grep -q 'upload: all sent and verified' "$tmp/pmb.log" || { echo "bench: B's upload was not verified:" >&2; tail -20 "$tmp/pmb.log" >&2; exit 1; }
  pmb_cpu=$(cpu_of "$tmp/pmb.time")
  echo "upload: B: podmark record --room  $pmb_cpu s CPU (user/sys/maxrss: $(cat "$tmp/pmb.time")), in the same run"
  awk -v a="$pmb_cpu" -v b="$jc_cpu" -v c="$pm_cpu" 'BEGIN { if (b > 0) printf "upload: B: ratio %.2f; B / A = %.3f\n", a / b, a / c }'
fi
if [ -n "$steady" ]; then
  awk '{ m = ($6 - $5) / 60; pm = ($2 - $1) / $7 / m; jc = ($4 - $3) / $7 / m
         printf "upload: steady state (%.1f min from minute 1): podmark %.3f s/min, jack_capture %.3f s/min, ratio %.2f\n", m, pm, jc, pm / jc
         if ($9 > 0) { pb = ($9 - $8) / $7 / m; printf "upload: B: steady state podmark %.3f s/min, ratio %.2f; B / A = %.3f\n", pb, pb / jc, pb / pm } }' "$tmp/steady"
fi
if [ -n "${BENCH_KEEP:-}" ]; then
  mkdir -p "$BENCH_KEEP"
  cp "$tmp/pm.log" "$tmp/pm.time" "$tmp/jc.time" "$BENCH_KEEP/"
  ls -l "$tmp"/pm/handoff/tracks/*/ >"$BENCH_KEEP/segments.txt"
fi
