#!/usr/bin/env bash
# Window performance: launch-to-ready time, then CPU% and RSS of the window
# process while it records from the fake ramp device under Xvfb with Mesa's
# software renderer: first with the window focused (meters and clock at
# 30 Hz), then with another X window focused, as when the call app has the
# focus (10 Hz); then the same figure for the peers: a bare Fyne window of
# the same size whose only content is one rectangle resized 30 times a
# second (with Fyne's default GL buffers, and without a depth/stencil buffer
# as podmark asks for), and one whose only content is podmark's two level
# meters fed a sawtooth 30 times a second. Prints the ratios the goals are
# stated in: unfocused % of a core, focused / meters-only peer.
#   usage: scripts/bench-window.sh [RECORD_SECONDS=600] [LAUNCHES=5] [BARE_SECONDS=60]
# RECORD_SECONDS is spent focused, then as much again unfocused.
# Needs DISPLAY (. scripts/services.sh), xdotool and libx11-dev.
set -euo pipefail
secs=${1:-600}
launches=${2:-5}
bare_secs=${3:-60}
cd "$(dirname "$0")/.."
: "${DISPLAY:?DISPLAY is not set: run . scripts/services.sh first}"
# Another podmark window on the display would take the focus the bench
# gives (xdotool finds windows by name) and leave the measured one at its
# background rate.
if xdotool search --name '^podmark$' >/dev/null 2>&1; then
  echo "bench-window: a podmark window is already open on $DISPLAY: close it first" >&2
  exit 1
fi
tmp=$(mktemp -d)
bare_src=.bench-window-bare-$$ # inside the module so it builds with its Fyne
trap 'rm -rf "$tmp" "$bare_src"' EXIT
go build -o "$tmp/podmark" ./cmd/podmark
go build -o "$tmp/xother" ./cmd/podmark/testdata/xother
mkdir -p "$bare_src"
cat >"$bare_src/main.go" <<'GO'
// The peers for scripts/bench-window.sh: a bare Fyne window redrawing one
// rectangle at 30 Hz, or (-meters) only podmark's two level meters fed a
// sawtooth at 30 Hz.
package main

import (
	"flag"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/podmark/podmark/app/ui"
)

func main() {
	noDepth := flag.Bool("nodepth", false, "no depth/stencil buffer (as podmark asks for)")
	meters := flag.Bool("meters", false, "draw podmark's two level meters instead of one rectangle")
	flag.Parse()
	a := app.New()
	if *noDepth {
		if err := glfw.Init(); err != nil {
			panic(err)
		}
		glfw.WindowHint(glfw.DepthBits, 0)
		glfw.WindowHint(glfw.StencilBits, 0)
	}
	w := a.NewWindow("bare")
	r := canvas.NewRectangle(color.NRGBA{G: 0xb8, A: 0xff})
	m1, m2 := ui.NewLevelMeter("1", nil), ui.NewLevelMeter("2", nil)
	if *meters {
		w.SetContent(container.NewVBox(m1, m2))
	} else {
		w.SetContent(container.NewWithoutLayout(r))
	}
	w.Resize(fyne.NewSize(1200, 760))
	go func() {
		i := 0
		for range time.Tick(time.Second / 30) {
			i++
			p := float32(math.Mod(float64(i)/90, 1))
			fyne.Do(func() {
				if *meters {
					m1.SetLevel(p, p*0.6, false)
					m2.SetLevel(1-p, (1-p)*0.6, false)
					return
				}
				r.Resize(fyne.NewSize(float32(100+i%400), 26))
				r.Refresh()
			})
		}
	}()
	w.ShowAndRun()
}
GO
go build -o "$tmp/bare" "./$bare_src"
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

# Recording: CPU% of one core and RSS every 30 s, focused then unfocused.
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
# measure LABEL: CPU% over secs, printed every 30 s; sets $total.
measure() {
  local start_t start_ms prev_t prev_ms t now cpu e step=$((secs < 30 ? secs : 30))
  start_t=$(ticks); start_ms=$(ms); prev_t=$start_t; prev_ms=$start_ms
  echo "recording, $1, for ${secs}s: elapsed_s cpu%_interval rss_MiB"
  printf "%6d %6s %8.1f\n" 0 "-" "$(echo "$(rss)/1024" | bc -l)"
  for ((e = step; e <= secs; e += step)); do
    sleep $step
    t=$(ticks); now=$(ms)
    cpu=$(echo "($t - $prev_t) / $hz * 100000 / ($now - $prev_ms)" | bc -l)
    printf "%6d %6.1f %8.1f\n" "$e" "$cpu" "$(echo "$(rss)/1024" | bc -l)"
    prev_t=$t; prev_ms=$now
  done
  total=$(echo "($(ticks) - $start_t) / $hz * 100000 / ($(ms) - $start_ms)" | bc -l)
  printf "average CPU, %s, over %ds: %.1f%% of one core; threads: %s\n" "$1" "$secs" "$total" "$(awk '/Threads/ {print $2}' /proc/$pid/status)"
}
measure "window focused"
focused=$total
# Another application takes the focus (the call app).
"$tmp/xother" podmark-bench-other &
other=$!
owid=$(xdotool search --sync --name '^podmark-bench-other$' | head -1)
xdotool windowfocus --sync "$owid"
sleep 2
measure "another window focused"
unfocused=$total
kill $other; wait $other 2>/dev/null || true
xdotool windowfocus --sync "$wid"
xdotool key ctrl+shift+s
sleep 1
kill -TERM $pid; wait $pid || true
echo "session frames: $(grep -o '"frames": [0-9]*' "$tmp"/rec/*/session.json | head -1)"

# The peers in the same run, same size, 30 Hz redraws: a bare Fyne window,
# then a Fyne window with nothing but podmark's two meters.
for flags in "" "-nodepth" "-nodepth -meters"; do
  "$tmp/bare" $flags 2>/dev/null &
  pid=$!
  sleep 3
  start_t=$(ticks); start_ms=$(ms)
  sleep "$bare_secs"
  cpu=$(echo "($(ticks) - $start_t) / $hz * 100000 / ($(ms) - $start_ms)" | bc -l)
  printf "bare Fyne window %-17s over %ds: %.1f%% of one core\n" "${flags:-(default)}" "$bare_secs" "$cpu"
  kill -TERM $pid; wait $pid || true
  [ "$flags" = "-nodepth" ] && bare_cpu=$cpu
  [ "$flags" = "-nodepth -meters" ] && meters_cpu=$cpu
done
ratio() { printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }
echo "podmark focused / bare (-nodepth): $(ratio "$focused" "$bare_cpu")"
echo "podmark focused / meters-only peer: $(ratio "$focused" "$meters_cpu")   (goal <= 1.5)"
printf "podmark unfocused: %.1f%% of one core   (goal <= 6); unfocused / meters-only peer: %s\n" "$unfocused" "$(ratio "$unfocused" "$meters_cpu")"
