#!/usr/bin/env bash
# Tests the cross-built podmark.exe under Wine (wine64 from Debian) against
# the Linux build, on the same inputs:
#   --version, devices, record --device ramp --duration 5s, recover after the
#   recorder is killed (and refused while it runs), markers convert of the
#   golden files (byte-identical to the Linux build), transcript, export and
#   verify (each build verifies both bundles), merge of two sessions, and the
#   window opening under Wine on Xvfb until "ready", with a screenshot.
# It also times the Linux and the Wine export of the same session (printed
# as a ratio; see docs/benchmarks.md).
#
#   bash scripts/test-windows.sh            (after scripts/services.sh for Xvfb)
#
# SHOT=FILE keeps the window's screenshot there. KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fail() { echo "test-windows: FAIL: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
for p in wine64 wine xvfb imagemagick sox espeak-ng python3 x11-utils; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "test-windows: installing $p" >&2
    $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$p" >/dev/null
  fi
done

say "build podmark.exe (scripts/build-windows.sh) and the Linux podmark"
# PODMARK_EXE=FILE tests that .exe instead of building one (no Windows vet).
[ -n "${PODMARK_EXE:-}" ] || bash scripts/build-windows.sh
if [ -z "${PODMARK_EXE:-}" ]; then
  say "GOOS=windows go vet ./..."
  (. "${PODMARK_MINGW_CACHE:-$HOME/.cache/podmark-mingw}/env.sh" && nice -n 15 go vet ./...)
fi
exe=${PODMARK_EXE:-$root/build/windows/podmark.exe}
work=$(mktemp -d /tmp/podmark-wine-test.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
nice -n 15 go build -o "$work/podmark" ./cmd/podmark
lin=$work/podmark

# Wine: its own prefix, cached (the first start takes a while); no Mono or
# Gecko prompts; no debug chatter.
export WINEPREFIX=${PODMARK_WINEPREFIX:-$HOME/.cache/podmark-wine}
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  say "create the Wine prefix $WINEPREFIX"
  DISPLAY= nice -n 15 wine wineboot -i >/dev/null 2>&1 || true
fi
# A wineserver lives on while any Wine process does (and 3 s after), and
# its desktop process (explorer.exe) keeps the display driver it started
# with: one started without DISPLAY (wineboot above, or any display-less
# wine run just before this script) gives every later window no X11
# driver, and GLFW "Failed to create helper window". Wait for it to end,
# so that the next wine command starts one on $DISPLAY.
wineserver -w 2>/dev/null || true
# Go programs need bcryptprimitives.dll (ProcessPrng), which Windows 10
# and 11 have and Wine 8.0 does not: a stand-in, for this prefix only
# (scripts/wine/bcryptprimitives.c says why).
sys32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f /usr/lib/x86_64-linux-gnu/wine/x86_64-windows/bcryptprimitives.dll ] &&
  { [ ! -f "$sys32/bcryptprimitives.dll" ] || [ "$root/scripts/wine/bcryptprimitives.c" -nt "$sys32/bcryptprimitives.dll" ]; }; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" "$root/scripts/wine/bcryptprimitives.c" -ladvapi32
fi
# Runs podmark.exe under Wine. A failure with no message at all (Wine's own
# exit on a wineserver hiccup, seen once in a full suite's run: podmark
# itself always says why it fails) is run once more, and said so; a failure
# with a message, or a second silent one, fails with Wine's exit status.
win() {
  local err rc=0
  err=$(mktemp "$work/win-err.XXXXXX")
  wine "$exe" "$@" 2>"$err" || rc=$?
  if [ "$rc" -ne 0 ] && ! grep -q '[^[:space:]]' "$err"; then
    echo "test-windows: wine podmark.exe $* exited $rc with no message; running it once more" >&2
    rc=0
    wine "$exe" "$@" 2>"$err" || rc=$?
  fi
  cat "$err" >&2
  rm -f "$err"
  [ "$rc" -eq 0 ] || echo "(wine podmark.exe exit status $rc)" >&2
  return "$rc"
}

cd "$work"
# Every path below is relative: Wine starts in this folder (as Z:\…).

say "--version"
v=$(win --version | tr -d '\r')
echo "$v"
want=$(sed -nE 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p' "$root/FyneApp.toml")
# podmark's version on the first line, Go's with the platform on the second.
[[ $v == "podmark $want"* && $v == *" windows/amd64"* ]] || fail "--version said \"$v\", want podmark $want … windows/amd64"

say "devices"
win devices >devices.txt 2>devices.err || fail "devices: $(cat devices.err)"
tr -d '\r' <devices.txt

say "record --device ramp --duration 5s"
# stdin stays open (its end would stop the recording), as a host's would.
win record --device ramp --duration 5s --out rec-win --host wine --title 'CON: "test"?' < <(sleep 60) >/dev/null 2>rec-win.err ||
  fail "record: $(cat rec-win.err)"
"$lin" record --device ramp --duration 5s --out rec-lin --host wine --title 'CON: "test"?' < <(sleep 60) >/dev/null 2>rec-lin.err ||
  fail "Linux record: $(cat rec-lin.err)"
python3 - rec-win rec-lin <<'EOF' || fail "record: the sessions differ"
import json, sys, wave
def load(d):
    m = json.load(open(d + "/session.json"))
    return m
a, b = load(sys.argv[1]), load(sys.argv[2])
# --duration stops at the first status poll after 5 s of audio, so the
# lengths differ by a poll; everything else is the same.
for k in ("state", "rate", "bits", "channels", "dropped", "glitches", "tracks", "title", "device"):
    if a[k] != b[k]:
        sys.exit(f"session.json {k}: Windows {a[k]!r}, Linux {b[k]!r}")
for m in (a, b):
    if not (5 * 48000 <= m["frames"] < 6 * 48000) or m["state"] != "stopped":
        sys.exit(f"a session: {m['frames']} frames, state {m['state']}")
print(f"Windows {a['frames']} frames, Linux {b['frames']}, state {a['state']}, tracks {a['tracks']}")
EOF
# The ramp's samples are the same in both builds' tracks.
sox rec-win/tracks/wine-1.wav -t raw rec-win.raw && sox rec-lin/tracks/wine-1.wav -t raw rec-lin.raw
n=$(( $(stat -c %s rec-win.raw) < $(stat -c %s rec-lin.raw) ? $(stat -c %s rec-win.raw) : $(stat -c %s rec-lin.raw) ))
cmp -n "$n" rec-win.raw rec-lin.raw || fail "record: the Windows and Linux tracks' samples differ"
echo "the tracks' first $((n / 3)) frames are identical"

say "recover of a killed recorder"
# The recorder's capture queue is a file in %TEMP%; kill -9 of the Wine
# process is Windows' TerminateProcess: nothing of podmark runs after it.
# Its stdin is a FIFO held open, so it records until it is killed.
mkfifo kill.in
(exec wine "$exe" record --device ramp --out kill-win --host wine --ramp-report ramp.txt <kill.in >/dev/null 2>kill.err) &
pid=$!
exec 7>kill.in
for _ in $(seq 100); do [ -s ramp.txt ] && break; sleep 0.2; done
[ -s ramp.txt ] || fail "the recorder to be killed did not start: $(cat kill.err)"
sleep 3
delivered=$(awk 'END { print $1 + 0 }' ramp.txt) # the report is "FRAMES TIME"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
exec 7>&-
wineserver -w 2>/dev/null || true
win recover kill-win >recover.out 2>&1 || fail "recover: $(cat recover.out)"
tr -d '\r' <recover.out
python3 - kill-win "$delivered" <<'EOF' || fail "recover"
import json, sys
m = json.load(open(sys.argv[1] + "/session.json"))
delivered = int(sys.argv[2])
lost = delivered - m["frames"]
print(f"recovered: {m['frames']} frames, state {m['state']}; the ramp had delivered {delivered} at its last report before the kill: {max(lost, 0) / 48:.0f} ms lost")
if m["state"] not in ("stopped", "recovered"):
    sys.exit(f"state {m['state']}")
if lost > 48000 // 4:
    sys.exit(f"lost {lost} frames (> a quarter second)")
EOF
ls "$WINEPREFIX"/drive_c/users/*/AppData/Local/Temp/podmark-*.queue 2>/dev/null && fail "the capture queue is still in %TEMP% after recover"

say "the capture queue file in %TEMP%, its lock (recover refuses a live recording) and replay: audio's tests, built for Windows, under Wine"
# The ramp above fills the same C capture queue (audio/capqueue.c) in a
# file in %TEMP%; these tests also check its layout, the lock that keeps
# recover off a live recording, and replay, as recover does.
(cd "$root" && . "${PODMARK_MINGW_CACHE:-$HOME/.cache/podmark-mingw}/env.sh" && nice -n 15 go test -c -ldflags=-extldflags=-static -o "$work/audio.test.exe" ./audio)
wine ./audio.test.exe -test.run '^(TestQueue|TestWriterTicker)' -test.count=1 -test.v 2>&1 | tr -d '\r' >audio-test.out || true
# Wine 8.0 cannot delete a file the way Go 1.26's os.RemoveAll does
# (SetFileInformationByHandle with FileDispositionInfoEx: "Invalid
# function"), so t.TempDir's clean-up fails there; any other message fails.
other=$(grep -E '^[[:space:]]+[a-z_0-9]+\.go:[0-9]+: ' audio-test.out | grep -v 'TempDir RemoveAll cleanup: .*Invalid function' || true)
ran=$(grep -cE -- '^--- (PASS|FAIL): Test(Queue|WriterTicker)' audio-test.out || true)
if [ -n "$other" ] || grep -q '^panic' audio-test.out || [ "$ran" -lt 14 ]; then
  cat audio-test.out >&2
  fail "audio's queue tests under Wine"
fi
echo "$ran queue and writer-timer tests passed under Wine"

say "markers convert of the golden files: byte-identical to the Linux build"
g=$root/markers/testdata/golden
n=0
for in in "$g"/episode.json "$g"/episode.cue "$g"/episode.labels.txt "$g"/episode.chapters.txt "$g"/episode.psc.xml "$g"/episode.chapters.vtt "$g"/episode.reaper.csv; do
  cp "$in" .
  b=$(basename "$in")
  for to in podmark podcast-json psc mp4chaps webvtt youtube audacity reaper-csv cue; do
    "$lin" markers convert --to $to "$b" "lin.$b.$to" 2>lin.err || fail "Linux convert $b to $to: $(cat lin.err)"
    win markers convert --to $to "$b" "win.$b.$to" 2>win.err || fail "convert $b to $to: $(cat win.err)"
    cmp "lin.$b.$to" "win.$b.$to" || fail "convert $b --to $to: Windows output differs"
    n=$((n + 1))
  done
done
echo "$n conversions identical"

say "transcript"
cp "$root/markers/testdata/episode-048.transcript.txt" .
for f in md html vtt shownotes; do
  "$lin" transcript --markers episode.json --transcript episode-048.transcript.txt --format $f --out lin.tr.$f
  win transcript --markers episode.json --transcript episode-048.transcript.txt --format $f --out win.tr.$f
  cmp lin.tr.$f win.tr.$f || fail "transcript --format $f differs"
done
"$lin" transcript --markers rec-lin --out lin.seed.md && win transcript --markers rec-lin --out win.seed.md
cmp lin.seed.md win.seed.md || fail "transcript seed differs"
echo "transcript: 5 outputs identical"

# Two hosts' sessions of one conversation for export and merge: espeak-ng
# voices, bob's copy starting 0.75 s later (his recording started late).
say "sessions for export and merge"
espeak-ng -v en-us -w a.wav "Welcome back to the show. Today we talk about recording podcasts on Windows." 
espeak-ng -v en-gb -w b.wav "Thanks for having me. Let us start with the first topic, and then the sponsor."
sox a.wav b.wav -r 48000 -b 24 -c 1 conv.wav pad 0.5 0.5 gain -n -3
python3 - conv.wav <<'EOF'
import json, os, subprocess, sys
conv = sys.argv[1]
for host, trim, topics in (("alice", 0.0, [("Intro", 0.2), ("Windows", 3.0)]), ("bob", 0.75, [("Sponsor", 6.0)])):
    d = f"sess-{host}"
    os.makedirs(d + "/tracks")
    wav = f"{d}/tracks/{host}-1.wav"
    subprocess.run(["sox", conv, "-b", "24", wav, "trim", str(trim)], check=True)
    frames = int(subprocess.run(["soxi", "-s", wav], capture_output=True, text=True, check=True).stdout)
    start = "2026-12-02T10:00:%06.3fZ" % (trim,)
    meta = {"format_version": 1, "app": "podmark", "app_version": "0.1.0", "title": "Windows episode", "host": host,
            "device": "test", "host_api": "fake", "rate": 48000, "bits": "24", "channels": 1,
            "tracks": [{"file": f"tracks/{host}-1.wav", "channel": 1}],
            "created_utc": start, "start_utc": start, "anchors": [{"sample": 0, "utc": start}], "pauses": [],
            "state": "stopped", "frames": frames, "stream_frames": frames, "dropped": 0, "glitches": 0,
            "updated_utc": start, "end_utc": start}
    json.dump(meta, open(d + "/session.json", "w"), indent=2)
    with open(d + "/markers.jsonl", "w") as f:
        for i, (t, at) in enumerate(topics):
            kind = "sponsor" if t == "Sponsor" else "topic"
            m = {"id": f"{host}{i}", "kind": kind, "title": t, "sample": int(at * 48000), "author": host, "utc": start}
            f.write(json.dumps({"op": "add", "marker": m, "utc": start}) + "\n")
EOF

# cmpdirs A B: the two builds' outputs hold the same files with the same
# content; JSON is compared without the keys that hold the time of the run,
# WAV files by their samples (the bext chunk dates the file).
cmpdirs() {
  python3 - "$1" "$2" <<'EOF'
import json, os, subprocess, sys, zipfile
a, b = sys.argv[1], sys.argv[2]
def files(d):
    out = set()
    for r, _, fs in os.walk(d):
        out |= {os.path.relpath(os.path.join(r, f), d) for f in fs}
    return out
fa, fb = files(a), files(b)
if fa != fb:
    sys.exit(f"{a} vs {b}: files differ: {sorted(fa ^ fb)}")
timekeys = ("utc", "created", "updated", "time", "elapsed", "took", "generated", "date")
def norm(v):
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if not any(t in k.lower() for t in timekeys) and k not in ("sha256", "size", "bytes")}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
def samples(p):
    import array
    a = array.array("i")
    a.frombytes(subprocess.run(["sox", p, "-t", "s32", "-"], capture_output=True, check=True).stdout)
    return a
# Floating point: the resampler (libsoxr) is another build of the same
# version on each side, and its SIMD code rounds differently, so the merge's
# fitted offsets agree to about 1e-12 s, drifts to 1e-7 ppm, and the resampled
# track's samples to 2 LSB at 24 bits; everything else must be equal.
def close(x, y):
    if isinstance(x, float) or isinstance(y, float):
        return isinstance(x, (int, float)) and isinstance(y, (int, float)) and abs(x - y) <= 1e-6 + 1e-5 * max(abs(x), abs(y))
    if isinstance(x, dict):
        return isinstance(y, dict) and x.keys() == y.keys() and all(close(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return isinstance(y, list) and len(x) == len(y) and all(close(i, j) for i, j in zip(x, y))
    return x == y
maxlsb = 0
def samesamples(pa, pb):
    global maxlsb
    x, y = samples(pa), samples(pb)
    if len(x) != len(y):
        return False
    d = max((abs(i - j) for i, j in zip(x, y)), default=0) >> 8  # in 24-bit LSBs
    maxlsb = max(maxlsb, d)
    return d <= 2
diff = []
for f in sorted(fa):
    pa, pb = os.path.join(a, f), os.path.join(b, f)
    if f.endswith(".json"):
        same = close(norm(json.load(open(pa))), norm(json.load(open(pb))))
    elif f.endswith(".jsonl"):
        same = close([norm(json.loads(l)) for l in open(pa)], [norm(json.loads(l)) for l in open(pb)])
    elif f.endswith(".wav") or f.endswith(".flac"):
        same = samesamples(pa, pb)
    elif f.endswith("manifest.sha256"):
        # The FLAC files hold the same samples (compared above) in other
        # bytes: the two libFLAC builds pick other encodings (SIMD paths);
        # manifest.json holds the time of the run.
        def sums(p):
            return {l.split()[1]: l.split()[0] for l in open(p) if l.strip()}
        sa, sb = sums(pa), sums(pb)
        same = sa.keys() == sb.keys() and all(sa[k] == sb[k] for k in sa if not k.endswith((".flac", "manifest.json")))
    elif f.endswith(".zip"):
        same = sorted(zipfile.ZipFile(pa).namelist()) == sorted(zipfile.ZipFile(pb).namelist())
    elif f.endswith(".mp3") or f.endswith(".png"):
        same = abs(os.path.getsize(pa) - os.path.getsize(pb)) <= os.path.getsize(pa) // 100
    else:
        same = open(pa, "rb").read() == open(pb, "rb").read()
    if not same:
        diff.append(f)
if diff:
    sys.exit(f"{a} vs {b}: contents differ: {diff}")
print(f"{len(fa)} files alike (samples differ by at most {maxlsb} LSB at 24 bits)")
EOF
}

say "export and verify (each build verifies both bundles); timed"
# Each build writes into its own folder under the same relative names, so
# the names inside the outputs match.
mkdir -p lin win
t0=$(date +%s.%N)
(cd lin && "$lin" export ../sess-alice --out bundle --zip >/dev/null 2>../export-lin.err) || fail "Linux export: $(cat export-lin.err)"
t1=$(date +%s.%N)
(cd win && win export ../sess-alice --out bundle --zip >/dev/null 2>../export-win.err) || fail "export: $(cat export-win.err)"
t2=$(date +%s.%N)
for b in lin/bundle win/bundle; do
  "$lin" verify $b >/dev/null 2>verify.err || fail "Linux verify $b: $(cat verify.err)"
  win verify $b >/dev/null 2>verify.err || fail "verify $b: $(cat verify.err)"
done
cmpdirs lin/bundle win/bundle || fail "export: the bundles differ"
python3 -c "import sys; l,w=float(sys.argv[2])-float(sys.argv[1]),float(sys.argv[3])-float(sys.argv[2]); print(f'export of the same session: Linux {l:.2f} s, Windows under Wine {w:.2f} s, ratio {w/l:.2f}')" "$t0" "$t1" "$t2" | tee export-times.txt

say "merge of two sessions"
(cd lin && "$lin" merge ../sess-alice ../sess-bob --out merged --quiet >../merge-lin.out 2>&1) || fail "Linux merge: $(cat merge-lin.out)"
(cd win && win merge ../sess-alice ../sess-bob --out merged --quiet >../merge-win.out 2>&1) || fail "merge: $(cat merge-win.out)"
cmpdirs lin/merged win/merged || fail "merge: the merged sessions differ"
tr -d '\r' <merge-win.out | head -3

say "the window under Wine on Xvfb: ready, and a screenshot"
[ -n "${DISPLAY:-}" ] || fail "DISPLAY is not set (. scripts/services.sh starts Xvfb)"
# A fresh wineserver, started here on $DISPLAY (see the wineboot step):
# the window must not inherit a desktop without a display driver.
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true
mkdir -p shows
shot=${SHOT:-$work/window.png}
(exec wine "$exe" --device ramp --dir shows --host wine --ready-file ready.txt >window.out 2>&1) &
wpid=$!
for _ in $(seq 300); do [ -f ready.txt ] && break; kill -0 $wpid 2>/dev/null || break; sleep 0.2; done
[ -f ready.txt ] || { kill -9 $wpid 2>/dev/null || true; fail "the window did not become ready in 60 s: $(tr -d '\r' <window.out | tail -5)"; }
sleep 1
import -window root "$shot"
kill -9 $wpid 2>/dev/null || true
wait $wpid 2>/dev/null || true
wineserver -k 2>/dev/null || true
python3 - "$shot" <<'EOF' || fail "the screenshot is blank"
import subprocess, sys
n = int(subprocess.run(["identify", "-format", "%k", sys.argv[1]], capture_output=True, text=True, check=True).stdout)
print(f"screenshot {sys.argv[1]}: {n} colours")
if n < 16:
    sys.exit(1)
EOF
echo "test-windows: all passed" >&2
