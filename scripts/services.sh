#!/usr/bin/env bash
# Starts the real stack the end-to-end tests use, if it is not running yet:
# a JACK server on its dummy driver (real-time paced, no sound card) and Xvfb on :99.
# Source it (". scripts/services.sh") so DISPLAY is exported to the caller.

# podmark_daemon CMD...: starts CMD in the background, detached, with no file
# descriptor of the caller's but 0-2: a lock the caller holds (flock around
# a benchmark) must not live on in a server that outlives it.
podmark_daemon() {
  (
    for fd in $(ls /proc/$BASHPID/fd); do
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec "$@" &
  )
}
if ! jack_lsp >/dev/null 2>&1; then
  podmark_daemon jackd -d dummy -r 48000 -p 1024 >/tmp/podmark-jackd.log 2>&1
  for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.2; done
  jack_lsp >/dev/null 2>&1 || { echo "services: jackd did not start (see /tmp/podmark-jackd.log)" >&2; return 1 2>/dev/null || exit 1; }
fi
export DISPLAY=${PODMARK_TEST_DISPLAY:-:99}
if ! xdpyinfo -display "$DISPLAY" >/dev/null 2>&1 && ! xdotool getdisplaygeometry >/dev/null 2>&1; then
  podmark_daemon Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/tmp/podmark-xvfb.log 2>&1
  for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.2; done
fi
export LANG=C.UTF-8
