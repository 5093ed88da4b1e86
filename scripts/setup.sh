#!/usr/bin/env bash
# Installs what podmark needs to build, run and be tested on Debian 12.
# Safe to run again: apt skips what is already there.
set -euo pipefail
pkgs=(portaudio19-dev libasound2-dev libgl1-mesa-dev xorg-dev libx11-dev
  jackd2 jack-capture sndfile-tools xvfb x11-utils xdotool imagemagick espeak-ng sox ffmpeg flac lame
  libflac-dev libmp3lame-dev libsoxr-dev libebur128-dev mediainfo
  xdg-utils) # xdg-utils: the window's Open folder (xdg-open)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  # jackd2 asks about real-time priority; take the default without a prompt.
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
go mod download
