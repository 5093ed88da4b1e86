#!/usr/bin/env bash
# bench-export.sh: wall time of `podmark export` (WAV copy + FLAC + MP3 review
# mix + every marker file + waveform + manifest) on a two-track 48 kHz/24-bit
# session, against the same work done by the reference tools in one run:
# `flac -5` on each track plus `lame` on the mix (the mix is made by sox
# beforehand and not timed, which favours the tools). Prints the ratio
# podmark / tools; the goal is <= 1.0 thanks to parallel encoding.
#
# In the same runs, for loudness (issue 16): `podmark export` against
# `podmark export --loudness off` and against the build of BASE (default
# 203180e, the last commit before loudness: a mono review mix, nothing
# measured), goal <= 1.1; and the measurement alone, `podmark loudness` on
# both tracks against `ffmpeg -af ebur128=peak=true` on both (two processes
# at once, as podmark measures both at once), goal <= 1.0.
# And for the progressive hand-off (issue 15): the same session with its
# FLAC already made while recording (segments of app/room SegmentFrames
# frames encoded by codec.CreateFLAC, as the uploader makes them, plus the
# manifests, made here beforehand and not timed) exported against the
# plain session's export in the same run (`podmark export` joins the
# segments instead of encoding). Every leg's CPU (user+sys) is printed
# beside its wall time: on the shared machine, CPU varies less than wall.
# Run it under the shared lock: flock /tmp/podmark-stack.lock scripts/bench-export.sh
#
# usage: scripts/bench-export.sh [MINUTES]   (default 60; RUNS=3, BASE=rev)
set -euo pipefail
minutes=${1:-60}
seconds=$((minutes * 60))
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/podmark-bench-export.XXXXXX")
handoff_src="$root/.bench-export-handoff-$$" # inside the module, to build against it
trap 'rm -rf "$work" "$handoff_src"' EXIT
for t in sox flac lame ffmpeg git go; do command -v "$t" >/dev/null || { echo "bench-export: $t not found (scripts/setup.sh)" >&2; exit 1; }; done

echo "building podmark..." >&2
(cd "$root" && go build -o "$work/podmark" ./cmd/podmark)
mkdir -p "$handoff_src"
cat > "$handoff_src/main.go" <<'GO'
// The progressive hand-off of a session's tracks, as podmark's uploader
// writes it while recording (app/room handoff.go): HANDOFF/tracks/NAME/
// 000000.seg... (standalone FLAC streams of room.SegmentFrames frames, from
// codec.CreateFLAC) and HANDOFF/tracks/NAME/manifest.json.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/podmark/podmark/app/room"
	"github.com/podmark/podmark/audio"
	"github.com/podmark/podmark/audio/codec"
)

func main() {
	sess := os.Args[1]
	var wg sync.WaitGroup
	for _, rel := range os.Args[2:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := handoff(sess, rel); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}()
	}
	wg.Wait()
}

func handoff(sess, rel string) error {
	src := filepath.Join(sess, rel)
	r, err := audio.OpenWAV(src)
	if err != nil {
		return err
	}
	defer r.Close()
	info := r.Info()
	base := strings.TrimSuffix(filepath.Base(rel), ".wav")
	m := room.Manifest{V: 1, Track: rel, Codec: room.CodecFLAC, Rate: int(info.Rate), Bits: info.Format.String(), Channels: info.Channels, Frames: info.Frames}
	buf := make([]int32, room.SegmentFrames*info.Channels)
	for n := 0; int64(n)*room.SegmentFrames < info.Frames; n++ {
		k := min(room.SegmentFrames, info.Frames-int64(n)*room.SegmentFrames)
		got := 0
		for got < int(k)*info.Channels {
			c, err := r.ReadInt32(buf[got : int(k)*info.Channels])
			if err != nil {
				return err
			}
			got += c
		}
		p := filepath.Join(sess, "handoff", room.SegmentObject(base, n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		w, err := codec.CreateFLAC(p, codec.FLACOptions{Rate: info.Rate, Channels: info.Channels, Bits: int(info.Format), TotalFrames: k})
		if err != nil {
			return err
		}
		if err := w.WriteInt32(buf[:got]); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		m.Segments = append(m.Segments, room.Segment{N: n, Start: int64(n) * room.SegmentFrames, Frames: k})
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fh, ph := sha256.New(), sha256.New()
	head := make([]byte, info.DataOffset)
	if _, err := io.ReadFull(f, head); err != nil {
		return err
	}
	fh.Write(head)
	if _, err := io.CopyN(io.MultiWriter(fh, ph), f, info.Frames*int64(info.Format.BytesPerSample()*info.Channels)); err != nil {
		return err
	}
	if _, err := io.Copy(fh, f); err != nil {
		return err
	}
	m.Header, m.FileSHA256, m.PCMSHA256 = head, hex.EncodeToString(fh.Sum(nil)), hex.EncodeToString(ph.Sum(nil))
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(sess, "handoff", room.ManifestObject(base)), b, 0o644)
}
GO
(cd "$root" && go build -o "$work/mkhandoff" "./$(basename "$handoff_src")")
base=${BASE:-203180e}
echo "building podmark at $base (before loudness)..." >&2
mkdir -p "$work/base"
git -C "$root" archive "$base" | tar -x -C "$work/base"
(cd "$work/base" && go build -o "$work/podmark-base" ./cmd/podmark)

sess="$work/session"
mkdir -p "$sess/tracks"
echo "generating ${minutes} min of two-track 48 kHz/24-bit audio with sox..." >&2
# Speech-like: pink noise shaped by a syllable-rate tremolo and a slow
# on/off envelope (the hosts take turns), over a quiet room-noise floor.
sox -R -n -r 48000 -b 24 -c 1 "$sess/tracks/alice-1.wav" synth "$seconds" pinknoise \
    tremolo 4 90 tremolo 0.06 100 lowpass 6000 gain -14 remix 1 dither -s
sox -R -n -r 48000 -b 24 -c 1 "$sess/tracks/bob-1.wav" synth "$seconds" brownnoise mix pinknoise \
    tremolo 5 85 tremolo 0.05 100 lowpass 5000 gain -12 remix 1 dither -s
frames=$((seconds * 48000))
cat > "$sess/session.json" <<JSON
{"format_version":1,"app":"podmark","app_version":"bench","title":"Benchmark episode","host":"alice",
 "rate":48000,"bits":"24","channels":2,"tracks":[{"file":"tracks/alice-1.wav","channel":1},{"file":"tracks/bob-1.wav","channel":2}],
 "created_utc":"2026-11-24T18:00:00Z","start_utc":"2026-11-24T18:00:00Z","state":"stopped","frames":$frames}
JSON
{
  i=0
  for ((s = 0; s < seconds; s += 300)); do
    kind=topic; [ $((i % 4)) = 2 ] && kind=sponsor; [ $((i % 5)) = 3 ] && kind=edit
    printf '{"op":"add","marker":{"id":"b%04d","kind":"%s","title":"Segment %d","sample":%d,"utc":"2026-11-24T18:00:00Z"}}\n' \
      "$i" "$kind" "$i" $((s * 48000))
    i=$((i + 1))
  done
} > "$sess/markers.jsonl"
# The same session with the FLAC made while recording, untimed (the
# uploader did this work during the show): tracks hard-linked.
echo "making the progressive hand-off's FLAC segments (untimed)..." >&2
cp -al "$sess" "$work/session-h"
"$work/mkhandoff" "$work/session-h" tracks/alice-1.wav tracks/bob-1.wav
du -sh "$work/session-h/handoff" >&2
# For lame, untimed: the sum panned centre (podmark's review mix is stereo).
sox -m "$sess/tracks/alice-1.wav" "$sess/tracks/bob-1.wav" -b 16 -c 2 "$work/mix.wav" remix 1 1

# Warm the page cache for both sides alike.
cat "$sess"/tracks/*.wav "$work/mix.wav" > /dev/null

now() { date +%s.%N; }
runs=${RUNS:-3}
ours=(); tools=(); ocpu=(); tcpu=(); off=(); based=(); meas=(); ff=()
offcpu=(); basecpu=(); reuse=(); reusecpu=()
timed() { # timed VAR command...: wall seconds of command into VAR, its CPU seconds into cpu
  local var=$1; shift
  local t0 t1; t0=$(now)
  /usr/bin/time -f "%U %S" -o "$work/cpu.leg" "$@" > "$work/leg.log" 2>&1 || { cat "$work/leg.log" >&2; exit 1; }; t1=$(now)
  printf -v "$var" '%s' "$(echo "$t1 - $t0" | bc)"
  cpu=$(awk '{print $1 + $2}' "$work/cpu.leg")
}
for ((r = 1; r <= runs; r++)); do
  echo "run $r/$runs: podmark export..." >&2
  rm -rf "$work/bundle"
  t0=$(now)
  /usr/bin/time -f "%U %S" -o "$work/cpu.ours" "$work/podmark" export "$sess" --out "$work/bundle" > "$work/export.log" 2>&1 || { cat "$work/export.log" >&2; exit 1; }
  t1=$(now)
  # Right after the export it is compared with, so that both find the
  # page cache alike (it ran fifth before, after four 1.6 GB bundles).
  echo "run $r/$runs: podmark export of the session with its FLAC made while recording..." >&2
  rm -rf "$work/b-reuse"; timed t "$work/podmark" export "$work/session-h" --out "$work/b-reuse"; reuse+=("$t"); reusecpu+=("$cpu")
  cp "$work/leg.log" "$work/reuse.log"
  echo "run $r/$runs: flac -5 x2 + lame..." >&2
  t2=$(now)
  /usr/bin/time -f "%U %S" -o "$work/cpu.tools" sh -c '
    flac -5 -s -f -o "$1/a.flac" "$2/tracks/alice-1.wav" 2>/dev/null &&
    flac -5 -s -f -o "$1/b.flac" "$2/tracks/bob-1.wav" 2>/dev/null &&
    lame --quiet --noreplaygain -b 128 -m j "$1/mix.wav" "$1/mix.mp3"' sh "$work" "$sess"
  t3=$(now)
  ours+=("$(echo "$t1 - $t0" | bc)"); tools+=("$(echo "$t3 - $t2" | bc)")
  ocpu+=("$(awk '{print $1 + $2}' "$work/cpu.ours")"); tcpu+=("$(awk '{print $1 + $2}' "$work/cpu.tools")")
  echo "run $r/$runs: podmark export --loudness off..." >&2
  rm -rf "$work/b-off"; timed t "$work/podmark" export "$sess" --out "$work/b-off" --loudness off; off+=("$t"); offcpu+=("$cpu")
  echo "run $r/$runs: podmark export at $base..." >&2
  rm -rf "$work/b-base"; timed t "$work/podmark-base" export "$sess" --out "$work/b-base"; based+=("$t"); basecpu+=("$cpu")
  echo "run $r/$runs: podmark loudness vs ffmpeg ebur128..." >&2
  timed t "$work/podmark" loudness "$sess/tracks/alice-1.wav" "$sess/tracks/bob-1.wav"; meas+=("$t")
  cp "$work/leg.log" "$work/podmark-loudness.txt"
  timed t sh -c '
    ffmpeg -hide_banner -nostats -i "$1" -af ebur128=peak=true -f null - 2> "$3/ff-a.txt" &
    ffmpeg -hide_banner -nostats -i "$2" -af ebur128=peak=true -f null - 2> "$3/ff-b.txt"; s=$?; wait $! && exit $s' \
    sh "$sess/tracks/alice-1.wav" "$sess/tracks/bob-1.wav" "$work"; ff+=("$t")
done
cat "$work/podmark-loudness.txt" >&2
grep -h -A12 Summary "$work/ff-a.txt" "$work/ff-b.txt" | grep -E "I:|LRA:|Peak:" >&2
grep -A4 '^loudness' "$work/export.log" >&2 || true
"$work/podmark" verify "$work/bundle" >&2
grep '^flac:' "$work/export.log" "$work/reuse.log" >&2
"$work/podmark" verify "$work/b-reuse" >&2
for h in alice-1 bob-1; do cmp "$work/bundle/audio/$h.flac" "$work/b-reuse/audio/$h.flac" && echo "$h.flac: joined = encoded, byte for byte" >&2; done
ls -l "$work/bundle/audio" "$work/a.flac" "$work/b.flac" "$work/mix.mp3" >&2

python3 - "$minutes" "$(nproc)" "${ours[*]}" "${tools[*]}" "${ocpu[*]}" "${tcpu[*]}" "$(cut -d' ' -f1-3 /proc/loadavg)" "${off[*]}" "${based[*]}" "${meas[*]}" "${ff[*]}" "${offcpu[*]}" "${basecpu[*]}" "${reuse[*]}" "${reusecpu[*]}" <<'PY'
import sys
def runs(a): return [float(x) for x in a.split()]
def fmt(xs): return ' '.join(f'{x:.2f}' for x in xs)
off, based, meas, ff, offcpu, basecpu, reuse, reusecpu = (runs(a) for a in sys.argv[8:16])
minutes, cores = sys.argv[1], sys.argv[2]
ours = [float(x) for x in sys.argv[3].split()]
tools = [float(x) for x in sys.argv[4].split()]
ocpu = [float(x) for x in sys.argv[5].split()]
tcpu = [float(x) for x in sys.argv[6].split()]
print(f"export of {minutes} min, 2 tracks, 48 kHz/24-bit, on {cores} cores, best of {len(ours)} alternating runs")
print(f"podmark export (WAV copy + FLAC + MP3 mix + markers + waveform + manifest): {min(ours):.2f} s  (runs: {' '.join(f'{x:.2f}' for x in ours)})")
print(f"flac -5 x2 + lame, one run:                                             {min(tools):.2f} s  (runs: {' '.join(f'{x:.2f}' for x in tools)})")
print(f"CPU time (user+sys), best run: podmark {min(ocpu):.2f} s, tools {min(tcpu):.2f} s; load average at the end {sys.argv[7]}")
print(f"ratio podmark/tools: {min(ours) / min(tools):.2f}")
print(f"podmark export --loudness off:   {min(off):.2f} s  (runs: {fmt(off)})")
print(f"podmark export before loudness:  {min(based):.2f} s  (runs: {fmt(based)})")
print(f"ratio with loudness / --loudness off: {min(ours) / min(off):.2f}  (goal <= 1.1)")
print(f"ratio with loudness / before loudness: {min(ours) / min(based):.2f}  (goal <= 1.1)")
print(f"CPU (user+sys), best run: with loudness {min(ocpu):.2f} s, --loudness off {min(offcpu):.2f} s (runs: {fmt(offcpu)}), before loudness {min(basecpu):.2f} s (runs: {fmt(basecpu)})")
print(f"CPU ratio with loudness / --loudness off: {min(ocpu) / min(offcpu):.2f}; / before loudness: {min(ocpu) / min(basecpu):.2f}")
print(f"podmark export, FLAC made while recording (segments joined): {min(reuse):.2f} s  (runs: {fmt(reuse)}); CPU {min(reusecpu):.2f} s (runs: {fmt(reusecpu)})")
print(f"ratio FLAC reused / current export: wall {min(reuse) / min(ours):.2f}, CPU {min(reusecpu) / min(ocpu):.2f}")
print(f"podmark loudness, both tracks:   {min(meas):.2f} s  (runs: {fmt(meas)})")
print(f"ffmpeg ebur128=peak=true, both:  {min(ff):.2f} s  (runs: {fmt(ff)})")
print(f"ratio podmark loudness / ffmpeg ebur128: {min(meas) / min(ff):.2f}  (goal <= 1.0)")
PY
