# Helpers shared by the recording benchmarks (bench-record.sh,
# bench-record-ab.sh); source it from the project root, with JACK running
# (scripts/services.sh).

# rusage OUT CMD...: runs CMD (stdin, stdout and stderr inherited) and writes
# "user sys maxrss_KiB" to OUT. The kernel's rusage sums the process's exact
# run time, where /usr/bin/time prints it in 10 ms steps, a few percent of a
# recording's CPU. It is taken as the difference around the call: the
# children's rusage a python3 starts with is not zero when python3 is a
# wrapper (pyenv's shim is a shell script that runs several processes before
# exec'ing python3, about 0.05 s of CPU that would be added to every figure).
rusage() {
  python3 -c '
import resource, subprocess, sys
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%.4f %.4f %d\n" % (r.ru_utime - r0.ru_utime, r.ru_stime - r0.ru_stime, r.ru_maxrss))
sys.exit(rc)' "$@"
}

# cpu_of FILE: user+system seconds from a file rusage wrote.
cpu_of() { awk '{ printf "%.3f", $1 + $2 }' "$1"; }

# start_player WAV: loops WAV into JACK with sndfile-jackplay; sets play (its
# pid) and jp (its JACK client name).
start_player() {
  local before
  before=$(jack_lsp)
  sndfile-jackplay -l 0 "$1" >/dev/null 2>&1 &
  play=$!
  for _ in $(seq 50); do jack_lsp | grep -q '^jackplay.*:out_2$' && break; sleep 0.1; done
  jp=$(jack_lsp | grep -v -x -F "$before" | grep ':out_1$' | head -1); jp=${jp%:out_1}
  [ -n "$jp" ] || { echo "bench: sndfile-jackplay has no ports" >&2; exit 1; }
}

# feed_new_client BEFORE WHAT LOG READY: waits for the file READY (the client
# has started its stream), then for the PortAudio client started since BEFORE
# (a jack_lsp listing) to show its two input ports, and feeds it from the
# player $jp only (PortAudio may have auto-connected system:capture). Every
# jack_lsp, jack_connect and jack_disconnect is a JACK client of its own whose
# coming and going wakes every running client, so it polls as little as it
# can.
feed_new_client() {
  local c i
  for _ in $(seq 200); do [ -e "$4" ] && break; sleep 0.05; done
  for _ in $(seq 100); do jack_lsp | grep -v -x -F "$1" | grep -q ':in_1$' && break; sleep 0.1; done
  c=$(jack_lsp | grep -v -x -F "$1" | grep ':in_0$' | head -1); c=${c%:in_0}
  [ -n "$c" ] || { echo "bench: $2 has no JACK ports"; cat "$3"; exit 1; } >&2
  for i in 1 2; do
    jack_disconnect "system:capture_$i" "$c:in_$((i - 1))" 2>/dev/null || true
    jack_connect "$jp:out_$i" "$c:in_$((i - 1))"
  done
}
