#!/usr/bin/env bash
# Cross-builds podmark.exe for windows/amd64 on Debian 12 with gcc-mingw-w64,
# statically linked: the .exe runs with no DLLs beside it.
#
#   bash scripts/build-windows.sh        -> build/windows/podmark.exe
#                                           build/windows/podmark-windows-amd64.zip
#
# The C libraries podmark binds (PortAudio with its WASAPI and WinMM host
# APIs, libFLAC, LAME, soxr, and libebur128 for audio/loudness) are built for
# x86_64-w64-mingw32 from Debian's own source packages (`apt-get source`,
# after adding a deb-src line for the Debian mirror already configured; no
# other download) as static libraries into PODMARK_MINGW_CACHE (default
# ~/.cache/podmark-mingw), once: a second run only builds the Go code.
# Heavy steps run under `nice -n 15` (NICE= to change).
#
# The icon and version resource are a .syso made with windres (GNU binutils
# for mingw, which the cross compiler already brings) from FyneApp.toml's
# metadata and assets/icon.png; see docs/windows.md for why not `fyne package`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
host=x86_64-w64-mingw32
cache=${PODMARK_MINGW_CACHE:-$HOME/.cache/podmark-mingw}
prefix=$cache/prefix
out=${OUT:-$root/build/windows}
nice=${NICE-nice -n 15}
jobs=${JOBS:-2}
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
log() { echo "build-windows: $*" >&2; }

# 1. Tools: the cross compiler (and its binutils: windres, objdump), cmake
#    for soxr and libebur128, dpkg-dev for apt-get source, ImageMagick for
#    the icon, zip for the bundle.
pkgs=(gcc-mingw-w64-x86-64 cmake make dpkg-dev imagemagick zip pkg-config)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

# 2. A deb-src entry for the Debian mirror that is already configured.
have_src() {
  grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if ! have_src; then
  srcfile=/etc/apt/sources.list.d/podmark-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: the same entries, as source entries.
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $sudo_cmd tee "$srcfile" >/dev/null
  else
    srcfile=/etc/apt/sources.list.d/podmark-deb-src.list
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list | sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' |
      $sudo_cmd tee "$srcfile" >/dev/null
  fi
  log "added $srcfile"
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
fi

mkdir -p "$cache/src" "$prefix"
# Go's cgo calls pkg-config; this one sees only the mingw prefix and asks for
# the static link line (with each library's private dependencies).
cat >"$cache/pkg-config" <<EOF
#!/bin/sh
PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH= exec pkg-config --static "\$@"
EOF
chmod +x "$cache/pkg-config"
cat >"$cache/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $host-gcc)
set(CMAKE_RC_COMPILER $host-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$host $prefix)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF

# source_dir PKG: unpacks Debian's source package PKG (patched) into the
# cache once and prints its folder. Where the mirror has the upstream
# tarball but not Debian's part of the package (libebur128's
# .debian.tar.xz is missing from this machine's mirror), the upstream
# tarball from the same mirror is unpacked, without Debian's patches, and
# the script says so.
source_dir() {
  local pkg=$1 d t
  d=$(find "$cache/src/$pkg" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -1)
  if [ -z "$d" ]; then
    mkdir -p "$cache/src/$pkg"
    if ! (cd "$cache/src/$pkg" && apt-get source -qq "$pkg" >&2); then
      t=$(find "$cache/src/$pkg" -maxdepth 1 -name '*.orig.tar.*' | head -1)
      [ -n "$t" ] || { log "apt-get source $pkg failed"; return 1; }
      log "apt-get source $pkg: Debian's part is missing from the mirror; building the upstream $(basename "$t") from it, without Debian's patches"
      tar -C "$cache/src/$pkg" -xf "$t" || return 1
    fi
    d=$(find "$cache/src/$pkg" -mindepth 1 -maxdepth 1 -type d | head -1)
  fi
  [ -n "$d" ] && [ -d "$d" ] || { log "no source folder for $pkg"; return 1; }
  echo "$d"
}

# build PKG: builds the library once (a stamp in the prefix names the
# source version), in a scratch copy so the unpacked source stays clean.
build() {
  local pkg=$1 src ver b
  src=$(source_dir "$pkg") || return 1
  ver=$(basename "$src")
  [ -n "$ver" ] && [ "$src" != / ] || return 1
  if [ -f "$prefix/.built-$ver" ]; then
    return 0
  fi
  log "building $ver for $host"
  b=$cache/build/$ver
  rm -rf "$b"
  mkdir -p "$b"
  cp -a "$src/." "$b/" || return 1
  # In the background, so that set -e holds inside (it is off in a
  # command whose status is tested): any failing step ends the build.
  local rc=0
  (cd "$b" || exit 1; set -e; "build_$pkg") >"$cache/build-$ver.log" 2>&1 &
  wait $! || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -40 "$cache/build-$ver.log" >&2
    log "building $ver failed (log: $cache/build-$ver.log)"
    return 1
  fi
  touch "$prefix/.built-$ver"
}

autotools=(--host=$host --prefix="$prefix" --enable-static --disable-shared)

build_portaudio19() {
  # WinMM (every Windows) and WASAPI (Vista on: shared and exclusive mode).
  # 19.6.0's WASAPI host includes the Windows SDK headers only for MSVC and
  # otherwise its own old copies, which current mingw-w64 headers conflict
  # with; PortAudio 19.7.0 made the same change: mingw-w64's own headers.
  local inc=src/hostapi/wasapi/mingw-include f
  for f in "$inc"/*.h; do
    [ ! -f "/usr/$host/include/$(basename "$f")" ] || rm "$f"
  done
  sed -i -e 's/^#if defined(_MSC_VER) \&\& (_MSC_VER >= 1400)$/#if (defined(_MSC_VER) \&\& (_MSC_VER >= 1400)) || defined(__MINGW64_VERSION_MAJOR)/' \
    -e 's/<Avrt.h>/<avrt.h>/; s/<Audioclient.h>/<audioclient.h>/' \
    -e 's/^\t#include <functiondiscoverykeys.h>$/\t#include <functiondiscoverykeys_devpkey.h>\n\t#include <functiondiscoverykeys.h>/' \
    src/hostapi/wasapi/pa_win_wasapi.c
  grep -q functiondiscoverykeys_devpkey src/hostapi/wasapi/pa_win_wasapi.c || { echo "the WASAPI header fix did not apply" >&2; return 1; }
  $nice ./configure "${autotools[@]}" --with-winapi=wmme,wasapi --without-jack --without-alsa --without-oss
  $nice make -j"$jobs" lib/libportaudio.la
  make install
}
build_flac() {
  $nice ./configure "${autotools[@]}" --disable-ogg --disable-programs --disable-examples \
    --disable-cpplibs --disable-doxygen-docs --disable-xmms-plugin --disable-oggtest --disable-rpath
  $nice make -j"$jobs" -C src/libFLAC
  make -C src/libFLAC install
  make -C include install
}
build_lame() {
  $nice ./configure "${autotools[@]}" --disable-frontend --disable-gtktest --disable-analyzer-hooks
  $nice make -j"$jobs" -C mpglib
  $nice make -j"$jobs" -C libmp3lame
  make -C libmp3lame install
  make -C include install
  # LAME installs no .pc file; codec/mp3.go links -lmp3lame by name.
}
cmake_build() {
  $nice cmake -S . -B _b -DCMAKE_TOOLCHAIN_FILE="$cache/toolchain.cmake" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF "$@"
  $nice cmake --build _b -j"$jobs"
  cmake --install _b
}
build_libsoxr() {
  # No OpenMP: podmark resamples one stream at a time, and libgomp would
  # need its DLL or its static pthread dependencies.
  cmake_build -DWITH_OPENMP=OFF -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DWITH_LSR_BINDINGS=OFF
  # soxr's CMake writes soxr.pc only for Unix; audio/align finds it with
  # pkg-config.
  [ -f "$prefix/lib/pkgconfig/soxr.pc" ] || write_soxr_pc
}
write_soxr_pc() {
  mkdir -p "$prefix/lib/pkgconfig"
  cat >"$prefix/lib/pkgconfig/soxr.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: soxr
Description: High quality, one-dimensional sample-rate conversion library
Version: 0.1.3
Libs: -L\${libdir} -lsoxr
Libs.private: -lm
Cflags: -I\${includedir}
EOF
}
build_libebur128() {
  cmake_build -DENABLE_INTERNAL_QUEUE_H=ON -DBUILD_STATIC_LIBS=ON
}

for pkg in portaudio19 flac lame libsoxr libebur128; do
  build "$pkg"
done
[ -f "$prefix/lib/pkgconfig/soxr.pc" ] || write_soxr_pc

# 3. The icon and version resource from FyneApp.toml.
toml() { sed -nE "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"?([^\"]*)\"?[[:space:]]*$/\1/p" FyneApp.toml | head -1; }
name=$(toml Name)
id=$(toml ID)
version=$(toml Version)
buildno=$(toml Build)
IFS=. read -r v1 v2 v3 <<<"$version"
mkdir -p "$out"
res=$cache/res
mkdir -p "$res"
if [ ! -f "$res/icon.ico" ] || [ assets/icon.png -nt "$res/icon.ico" ]; then
  convert assets/icon.png -define icon:auto-resize=256,64,48,32,16 "$res/icon.ico"
fi
cat >"$res/podmark.manifest" <<EOF
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0" xmlns:asmv3="urn:schemas-microsoft-com:asm.v3">
  <assemblyIdentity type="win32" name="$id" version="${v1:-0}.${v2:-0}.${v3:-0}.${buildno:-0}"/>
  <compatibility xmlns="urn:schemas-microsoft-com:compatibility.v1">
    <application>
      <supportedOS Id="{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"/>
      <supportedOS Id="{1f676c76-80e1-4239-95bb-83d0f6d0da78}"/>
    </application>
  </compatibility>
  <asmv3:application>
    <asmv3:windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">PerMonitorV2</dpiAwareness>
    </asmv3:windowsSettings>
  </asmv3:application>
</assembly>
EOF
cat >"$res/podmark.rc" <<EOF
#include <winver.h>
1 ICON "icon.ico"
1 24 "podmark.manifest"
VS_VERSION_INFO VERSIONINFO
FILEVERSION ${v1:-0},${v2:-0},${v3:-0},${buildno:-0}
PRODUCTVERSION ${v1:-0},${v2:-0},${v3:-0},${buildno:-0}
FILEOS VOS_NT_WINDOWS32
FILETYPE VFT_APP
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "podmark"
      VALUE "FileDescription", "$name: podcast recorder with live markers"
      VALUE "FileVersion", "$version.$buildno"
      VALUE "InternalName", "$id"
      VALUE "OriginalFilename", "podmark.exe"
      VALUE "ProductName", "$name"
      VALUE "ProductVersion", "$version"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x0409, 0x04B0
  END
END
EOF
# The .syso is linked into the windows build only (its name says so); it
# is made here each time and not committed.
(cd "$res" && $host-windres -O coff -i podmark.rc -o "$root/cmd/podmark/rsrc_windows_amd64.syso")
trap 'rm -f "$root/cmd/podmark/rsrc_windows_amd64.syso"' EXIT

# 4. podmark.exe: cgo against the static libraries, linked with -static so
#    neither libgcc, libwinpthread nor the audio libraries are DLLs.
#    FLAC__NO_DLL: the FLAC headers otherwise declare dllimport functions.
#    -lssp: libFLAC is built with -fstack-protector-strong (its configure's
#    default, kept: it decodes files from outside), which on mingw needs
#    libssp; flac.pc does not say so.
# env.sh: the same settings for other cross builds (scripts/test-windows.sh
# builds audio's tests with it).
cat >"$cache/env.sh" <<EOF
export CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$host-gcc CXX=$host-g++
export PKG_CONFIG="$cache/pkg-config"
export CGO_CFLAGS="-O2 -I$prefix/include -DFLAC__NO_DLL"
export CGO_LDFLAGS="-L$prefix/lib"
EOF
log "go build podmark.exe"
(. "$cache/env.sh" && $nice go build -trimpath -ldflags "-s -w -X github.com/podmark/podmark/app/session.AppVersion=$version '-extldflags=-static -lssp'" \
  -o "$out/podmark.exe" ./cmd/podmark)

# No DLL beside the .exe: only DLLs every Windows has may be imported.
system_dlls='^(kernel32|user32|gdi32|advapi32|shell32|ole32|oleaut32|winmm|ws2_32|opengl32|imm32|comdlg32|shlwapi|winspool|uuid|version|dwmapi|setupapi|bcrypt|ntdll|crypt32|secur32|iphlpapi|userenv|msvcrt|api-ms-win-[a-z0-9-]+|uxtheme|comctl32|powrprof|dbghelp|avrt|ksuser|mswsock|hid|dinput8|xinput1_[0-9]|xinput9_1_0)\.dll$'
dlls=$(x86_64-w64-mingw32-objdump -p "$out/podmark.exe" | sed -nE 's/^[[:space:]]*DLL Name: (.*)$/\1/p' | tr 'A-Z' 'a-z' | sort -u)
bad=$(grep -vE "$system_dlls" <<<"$dlls" || true)
if [ -n "$bad" ]; then
  log "podmark.exe imports DLLs that are not part of Windows: $bad"
  exit 1
fi
log "imports only system DLLs: $(tr '\n' ' ' <<<"$dlls")"

# 5. The zip: the .exe and a short README (CRLF: for Notepad).
sed 's/$/\r/' >"$out/README.txt" <<EOF
podmark $version for Windows (64-bit)

podmark records your microphone crash-safely and lets you drop topic,
sponsor, edit and note markers while you talk; your editor gets the audio
and a marker file that seeds chapters and the transcript.

Double-click podmark.exe to open the window. In a terminal,
"podmark.exe help" lists the headless commands (record, recover, export,
merge, markers, transcript, verify, devices).

Recording from your microphone uses WASAPI (or WinMM) through PortAudio:
"podmark.exe devices" lists the inputs. While recording, what the device
delivered is kept in a capture queue file in your temp folder
(%TEMP%\\podmark-*.queue) until it is written to the session's WAV files;
after a crash, "podmark.exe recover FOLDER" writes it out.

Global hotkeys Ctrl+Alt+1 ... Ctrl+Alt+5 drop markers while your call app
has the focus.

No installation and no DLLs: podmark.exe is all there is.
https://github.com/podmark/podmark
EOF
rm -f "$out/podmark-windows-amd64.zip"
(cd "$out" && zip -q -9 -X podmark-windows-amd64.zip podmark.exe README.txt)
ls -l "$out/podmark.exe" "$out/podmark-windows-amd64.zip" >&2
