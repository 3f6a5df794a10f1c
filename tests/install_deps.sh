#!/usr/bin/env bash
# Installs the Debian 12 packages fairmatch needs to build, test and
# benchmark.  Runs apt-get only when something is missing; needs root
# (or sudo) then.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libcsv-dev uthash-dev libjansson-dev zlib1g-dev
  libglpk-dev libsqlite3-dev libuv1-dev libinih-dev
  libprotobuf-c-dev protobuf-c-compiler libsodium-dev
  libcmocka-dev liblemon-dev python3-protobuf protobuf-compiler time valgrind
  chromium
  clang libclang-rt-14-dev  # the fuzz build; libclang-rt-14-dev holds libFuzzer
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
