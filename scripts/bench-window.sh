#!/usr/bin/env bash
# Window performance: launch-to-ready time, then CPU% and RSS of the window
# process while it records (meters and clock animating, ~30 Hz) from the fake
# ramp device under Xvfb with Mesa's software renderer.
#   usage: scripts/bench-window.sh [RECORD_SECONDS=600] [LAUNCHES=5]
# Needs DISPLAY (. scripts/services.sh) and xdotool.
set -euo pipefail
secs=${1:-600}
launches=${2:-5}
cd "$(dirname "$0")/.."
: "${DISPLAY:?DISPLAY is not set: run . scripts/services.sh first}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/podmark" ./cmd/podmark
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config"
mkdir -p "$HOME"
hz=$(getconf CLK_TCK)
ms() { date +%s%3N; }

# Launch to ready: process start until the window is shown and its
# soundcheck meters run (--ready-file). The first run warms the caches.
echo "launch-to-ready (ms), $launches warm launches after one cold:"
for i in $(seq 0 "$launches"); do
  rm -f "$tmp/ready"
  t0=$(ms)
  "$tmp/podmark" --device ramp --channels 2 --dir "$tmp/rec" --ready-file "$tmp/ready" 2>/dev/null &
  pid=$!
  until [ -f "$tmp/ready" ]; do sleep 0.005; done
  t1=$(ms)
  kill -TERM $pid; wait $pid || true
  [ "$i" = 0 ] && echo "  cold: $((t1 - t0))" || echo "  $((t1 - t0))"
done

# Recording: CPU% of one core and RSS every 30 s.
rm -f "$tmp/ready"
"$tmp/podmark" --device ramp --channels 2 --dir "$tmp/rec" --ready-file "$tmp/ready" 2>"$tmp/log" &
pid=$!
until [ -f "$tmp/ready" ]; do sleep 0.05; done
wid=$(xdotool search --sync --name '^podmark$' | head -1)
xdotool windowfocus --sync "$wid"
xdotool key ctrl+r
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
start_t=$(ticks); start_ms=$(ms); prev_t=$start_t; prev_ms=$start_ms
echo "recording for ${secs}s: elapsed_s cpu%_interval rss_MiB"
printf "%6d %6s %8.1f\n" 0 "-" "$(echo "$(rss)/1024" | bc -l)"
step=30
for ((e = step; e <= secs; e += step)); do
  sleep $step
  t=$(ticks); now=$(ms)
  cpu=$(echo "($t - $prev_t) / $hz * 100000 / ($now - $prev_ms)" | bc -l)
  printf "%6d %6.1f %8.1f\n" "$e" "$cpu" "$(echo "$(rss)/1024" | bc -l)"
  prev_t=$t; prev_ms=$now
done
total=$(echo "($(ticks) - $start_t) / $hz * 100000 / ($(ms) - $start_ms)" | bc -l)
printf "average CPU over %ds: %.1f%% of one core; threads: %s\n" "$secs" "$total" "$(awk '/Threads/ {print $2}' /proc/$pid/status)"
xdotool key ctrl+shift+s
sleep 1
kill -TERM $pid; wait $pid || true
echo "session frames: $(grep -o '"frames": [0-9]*' "$tmp"/rec/*/session.json | head -1)"
