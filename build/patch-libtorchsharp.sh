#!/usr/bin/env bash
# TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 for one symbol, std::ios_base_library_init()
# (GCC 13's iostream start-up). Debian 12's libstdc++ stops at 3.4.30, so libtorch fails to initialise.
# Where the system libstdc++ lacks 3.4.32, this patches the given copies (in build or publish output only):
#   1. clear the symbol's version, 2. add a tiny library that defines it (constructing std::ios_base::Init),
#   3. mark the GLIBCXX_3.4.32 requirement weak. See DESIGN.md §9. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shim_name=libneuraltrade_iosinit.so
symbol=_ZSt21ios_base_library_initv

libstdcxx=""
for candidate in $(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 \(.*x86-64/ {print $NF}') /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
  [ -f "$candidate" ] && { libstdcxx="$candidate"; break; }
done
if [ -n "$libstdcxx" ] && grep -aq 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  exit 0   # a libstdc++ from GCC 13 or newer: nothing to do
fi

for lib in "$@"; do
  [ -f "$lib" ] || continue
  grep -aq 'GLIBCXX_3\.4\.32' "$lib" || continue
  dir="$(dirname "$lib")"
  if command -v patchelf >/dev/null 2>&1 && patchelf --print-needed "$lib" | grep -qx "$shim_name" && [ -f "$dir/$shim_name" ]; then
    # Already patched; only the weak flag might be missing if a previous run was interrupted.
    perl "$here/elf-weaken-version.pl" "$lib" GLIBCXX_3.4.32
    continue
  fi
  command -v patchelf >/dev/null 2>&1 || { echo "error NT0001: $lib needs patching for this system's libstdc++ (no GLIBCXX_3.4.32), which needs patchelf: apt-get install patchelf g++ (or run deploy/services.sh install)" >&2; exit 1; }
  cxx="$(command -v g++ || command -v c++ || true)"
  [ -n "$cxx" ] || { echo "error NT0002: patching $lib needs a C++ compiler: apt-get install g++ (or run deploy/services.sh install)" >&2; exit 1; }

  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$cxx" -shared -fPIC -O2 -o "$tmp/$shim_name" "$here/ios-base-library-init.cpp"
  cp "$tmp/$shim_name" "$dir/$shim_name"
  cp "$lib" "$tmp/lib.so"
  patchelf --clear-symbol-version "$symbol" "$tmp/lib.so"
  patchelf --add-needed "$shim_name" "$tmp/lib.so"
  perl "$here/elf-weaken-version.pl" "$tmp/lib.so" GLIBCXX_3.4.32
  # Replace in one step, keeping the original's timestamp so MSBuild's incremental copy leaves it alone.
  touch -r "$lib" "$tmp/lib.so"
  mv -f "$tmp/lib.so" "$lib"
  rm -rf "$tmp"
  trap - EXIT
  echo "patched $lib for $(basename "${libstdcxx:-libstdc++}") without GLIBCXX_3.4.32"
done
