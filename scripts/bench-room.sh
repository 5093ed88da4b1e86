#!/usr/bin/env bash
# Show-room benchmarks (figures go to the "## Show room" section of docs/benchmarks.md):
#
#  1. Host-to-host marker latency, p50/p99: `go test -bench BenchmarkMarkerLatency ./app/room`
#     (1,000 markers on loopback; 200 markers with 150 ms ± 30 ms added by toxiproxy).
#  2. CPU seconds (rusage) of `podmark record --room` against `podmark record` in the same run:
#     both record the real-time fake source (ramp) for BENCH_SECONDS (default 60) and get the
#     same marker every 2 s on stdin; a third podmark in the room drops a marker every 2 s too,
#     so the room recorder also receives, records and prints markers, and answers clock requests.
#  3. The relay under 100 rooms x 3 members (BENCH_RELAY_SECONDS, default 600; each member drops
#     a marker every BENCH_RELAY_EVERY seconds, default 10): see TestRelayLoad in cmd/podmark
#     (PODMARK_BENCH_RELAY=DURATION). It samples RSS and the live Go heap every 10 s, prints the
#     series and judges whether memory is flat over the second half. Uses no JACK: it need not
#     hold the stack lock (its CPU figure is then only indicative). BENCH_RELAY_WARMUP (default
#     300) seconds come first, a marker a second from every member, to fill the relay's bounded
#     per-connection caches; they are not judged.
#
# Usage: scripts/bench-room.sh [latency|cpu|relay|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
secs=${BENCH_SECONDS:-60}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/podmark" ./cmd/podmark
pm=$tmp/podmark

if [ "$what" = latency ] || [ "$what" = all ]; then
  go test -run XXX -bench 'BenchmarkMarkerLatency' -benchtime 1x ./app/room | grep -E 'Benchmark|ok'
fi

if [ "$what" = cpu ] || [ "$what" = all ]; then
  "$pm" relay --listen 127.0.0.1:0 --store "$tmp/store" --quiet >"$tmp/relay.out" &
  for _ in $(seq 100); do grep -q serving "$tmp/relay.out" && break; sleep 0.1; done
  url=$(sed -n 's/.*serving \(nats:[^,]*\),.*/\1/p' "$tmp/relay.out")
  link=$url/bench/cpu
  python3 - "$pm" "$link" "$tmp" "$secs" <<'PY'
import os, subprocess, sys, threading, time
pm, link, tmp, secs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def start(name, room):
    args = [pm, "record", "--out", f"{tmp}/{name}", "--device", "ramp", "--host", name]
    if room:
        args += ["--room", link]
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs = {"plain": start("plain", False), "room": start("room", True), "peer": start("peer", True)}
t0 = time.time(); i = 0
while time.time() - t0 < secs:
    for p in procs.values():
        p.stdin.write(f"note marker {i}\n".encode()); p.stdin.flush()
    i += 1
    time.sleep(2)
cpu = {}
for name, p in procs.items():
    p.stdin.write(b"stop\n"); p.stdin.close()
    _, status, ru = os.wait4(p.pid, 0)
    cpu[name] = ru.ru_utime + ru.ru_stime
print(f"record: {cpu['plain']:.2f} s CPU; record --room: {cpu['room']:.2f} s CPU; ratio {cpu['room']/cpu['plain']:.2f} ({secs} s, {i} markers each way)")
PY
fi

if [ "$what" = relay ] || [ "$what" = all ]; then
  PODMARK_BENCH_RELAY=${BENCH_RELAY_SECONDS:-600}s PODMARK_BENCH_RELAY_EVERY=${BENCH_RELAY_EVERY:-10}s PODMARK_BENCH_RELAY_WARMUP=${BENCH_RELAY_WARMUP:-300}s go test -run TestRelayLoad -v -timeout 30m ./cmd/podmark | grep -E 'relay|ok|FAIL'
fi
