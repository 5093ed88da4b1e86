#!/usr/bin/env bash
# Recording benchmarks (figures go to the "## Recording" section of docs/benchmarks.md):
#
#  1. CPU seconds (exact, from rusage) of `podmark record` against `jack_capture` recording the same
#     2-channel JACK stream (a looping noise file played by sndfile-jackplay),
#     both 24-bit WAV at 48 kHz, for BENCH_SECONDS (default 60) in one run,
#     printed as a ratio (goal: at most 1.0). A third client in the same run,
#     PortAudio with an empty callback on the same ports, shows what any
#     PortAudio recorder pays before it touches a sample.
#  2. Peak RSS of a one-hour headless recording on the fake source, not in
#     real time (`--device ramp:xSPEED`, default 20x: every frame delivered in
#     order, an hour in 3 minutes, through the same capture queue as a sound
#     card's, grown with the speed to hold about 2 s of wall time),
#     with RSS sampled during the run to show whether it stays flat.
#
# Usage: scripts/bench-record.sh [cpu|rss|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
secs=${BENCH_SECONDS:-60}
hour=${BENCH_RSS_DURATION:-1h}
speed=${BENCH_RSS_SPEED:-20}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/podmark" ./cmd/podmark
pm=$tmp/podmark

. scripts/jack-bench.sh

bench_cpu() {
  . scripts/services.sh
  dev=$("$pm" devices | awk -F'\t' '$3 == "JACK Audio Connection Kit" { print $1; exit }')
  [ -n "$dev" ] || { echo "bench: no JACK device in 'podmark devices'" >&2; exit 1; }
  sox -n -r 48000 -c 2 -b 24 "$tmp/noise.wav" synth 10 pinknoise vol 0.3
  cat >"$tmp/paempty.c" <<'C'
/* PortAudio's JACK input with a callback that does nothing, for N seconds;
   creates the file READY once the stream runs. */
#include <portaudio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static int cb(const void *in, void *out, unsigned long n, const PaStreamCallbackTimeInfo *t,
              PaStreamCallbackFlags f, void *u) { return paContinue; }
int main(int argc, char **argv) {
	PaStream *s;
	if (argc < 3 || Pa_Initialize() != paNoError) return 1;
	const PaHostApiInfo *h = Pa_GetHostApiInfo(Pa_HostApiTypeIdToHostApiIndex(paJACK));
	if (!h || h->defaultInputDevice < 0) { fprintf(stderr, "paempty: no JACK input\n"); return 1; }
	PaStreamParameters p = {h->defaultInputDevice, 2, paFloat32,
	                        Pa_GetDeviceInfo(h->defaultInputDevice)->defaultLowInputLatency, NULL};
	PaError e = Pa_OpenStream(&s, &p, NULL, 48000, paFramesPerBufferUnspecified, paNoFlag, cb, NULL);
	if (e != paNoError) { fprintf(stderr, "paempty: %s\n", Pa_GetErrorText(e)); return 1; }
	Pa_StartStream(s);
	fclose(fopen(argv[2], "w"));
	sleep(atoi(argv[1]));
	Pa_StopStream(s);
	Pa_CloseStream(s);
	Pa_Terminate();
	return 0;
}
C
  cc -O2 -o "$tmp/paempty" "$tmp/paempty.c" -lportaudio
  start_player "$tmp/noise.wav"

  # The order keeps the two measured recorders' lot even: any JACK client
  # pays a little for every other client that comes and goes while it runs.
  # podmark starts first and pays for its own connecting (jack_capture connects
  # itself, from --port), then jack_capture starts, then the empty PortAudio
  # client, whose start and connecting both of them see.
  #
  # podmark: stdin held open by a sleeping writer; stops by itself after $secs.
  # Each runs under rusage (above): user+system CPU of the whole process.
  before=$(jack_lsp)
  sleep $((secs + 60)) | rusage "$tmp/pm.time" \
    "$pm" record --out "$tmp/pm" --device "$dev" --channels 2 --rate 48000 --bits 24 \
    --host bench --duration "${secs}s" >"$tmp/pm.out" 2>"$tmp/pm.log" &
  pmtime=$!
  feed_new_client "$before" "podmark" "$tmp/pm.log" "$tmp/pm/session.json"
  rusage "$tmp/jc.time" \
    jack_capture --daemon --channels 2 --bitdepth 24 --port "$jp:out_1" --port "$jp:out_2" \
    --recording-time "$secs" --filename "$tmp/jc.wav" &
  jctime=$!
  before=$(jack_lsp)
  rusage "$tmp/pe.time" "$tmp/paempty" "$secs" "$tmp/pe.ready" 2>"$tmp/pe.log" &
  petime=$!
  feed_new_client "$before" "the empty PortAudio client" "$tmp/pe.log" "$tmp/pe.ready"
  wait "$jctime" || { echo "bench: jack_capture failed" >&2; exit 1; }
  wait "$petime" || { echo "bench: the empty PortAudio client failed:" >&2; cat "$tmp/pe.log" >&2; exit 1; }
  for _ in $(seq 300); do [ -s "$tmp/pm.time" ] && break; sleep 0.1; done
  kill "$play" 2>/dev/null || true
  grep -q 'stopped (duration reached)' "$tmp/pm.log" || { echo "bench: podmark record failed:" >&2; cat "$tmp/pm.log" >&2; exit 1; }
  read -r pu ps pm_rss <"$tmp/pm.time"
  read -r ju js jc_rss <"$tmp/jc.time"
  read -r eu es _ <"$tmp/pe.time"
  pm_cpu=$(awk -v u="$pu" -v s="$ps" 'BEGIN { printf "%.3f", u + s }')
  jc_cpu=$(awk -v u="$ju" -v s="$js" 'BEGIN { printf "%.3f", u + s }')
  echo "cpu: ${secs}s of 2-channel 24-bit 48 kHz JACK input"
  echo "cpu: podmark record  ${pm_cpu} s CPU (user $pu, sys $ps), peak RSS $pm_rss KiB: $(tail -1 "$tmp/pm.log" | sed 's/^podmark record: //')"
  echo "cpu: jack_capture    ${jc_cpu} s CPU (user $ju, sys $js), peak RSS $jc_rss KiB: $(stat -c %s "$tmp/jc.wav") bytes"
  awk -v u="$eu" -v s="$es" -v b="$jc_cpu" 'BEGIN { printf "cpu: PortAudio alone  %.3f s CPU (user %s, sys %s): an empty callback on the same ports, %.2f of jack_capture\n", u + s, u, s, (u + s) / b }'
  grep '"kind":"glitch"' "$tmp/pm.out" | sed 's/^/cpu: podmark reported a glitch: /' || true
  awk -v a="$pm_cpu" -v b="$jc_cpu" 'BEGIN { if (b > 0) printf "cpu: ratio podmark/jack_capture = %.2f (goal <= 1.0)\n", a / b; else print "cpu: jack_capture used no measurable CPU" }'
}

bench_rss() {
  # One channel of 24-bit audio at full speed: an hour is 518 MB on disk.
  sleep 100000 | /usr/bin/time -f '%M %e %U %S' -o "$tmp/rss.time" \
    "$pm" record --out "$tmp/rss" --device "ramp:x$speed" --channels 1 --rate 48000 --bits 24 \
    --host bench --duration "$hour" >"$tmp/rss.out" 2>"$tmp/rss.log" &
  for _ in $(seq 100); do pid=$(pgrep -n -f "^$pm record --out $tmp/rss" || true); [ -n "$pid" ] && break; sleep 0.05; done
  samples=()
  while kill -0 "$pid" 2>/dev/null; do
    r=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$r" ] && samples+=("$r")
    sleep 1
  done
  for _ in $(seq 50); do [ -s "$tmp/rss.time" ] && break; sleep 0.1; done
  grep -q 'stopped (duration reached)' "$tmp/rss.log" || { echo "bench: podmark record failed:" >&2; cat "$tmp/rss.log" >&2; exit 1; }
  read -r peak wall user sys <"$tmp/rss.time"
  n=${#samples[@]}
  echo "rss: $hour of 1-channel 24-bit 48 kHz audio from the fake source at ${speed}x real time in ${wall}s (user ${user}s, sys ${sys}s)"
  echo "rss: $(tail -1 "$tmp/rss.log" | sed 's/^podmark record: //')"
  if ((n > 0)); then
    echo "rss: VmRSS KiB sampled each second: first ${samples[0]}, 25% ${samples[n / 4]}, 50% ${samples[n / 2]}, 75% ${samples[3 * n / 4]}, last ${samples[n - 1]} ($n samples)"
  fi
  echo "rss: peak RSS ${peak} KiB"
}

case $what in
cpu) bench_cpu ;;
rss) bench_rss ;;
all) bench_cpu; bench_rss ;;
*) echo "usage: $0 [cpu|rss|all]" >&2; exit 2 ;;
esac
