#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine needs to build and test mlpack, then builds it.
# Safe to run again: apt-get skips what is present and cmake rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  g++ cmake ninja-build pkg-config git
  # libraries
  libcli11-dev libarchive-dev libssl-dev libyaml-cpp-dev libcurl4-openssl-dev libfmt-dev
  doctest-dev nlohmann-json3-dev libzstd-dev zlib1g-dev libdeflate-dev libtomlplusplus-dev libsimdjson-dev
  # real components the tests run against
  docker-registry skopeo umoci runc busybox-static apache2-utils openssl python3 curl zstd xz-utils
  # the SBOM tests validate documents against the official JSON schemas (tests/data/sbom)
  python3-jsonschema
  # apt archives: gpgv verifies Release signatures; tests build a signed archive with
  # apt-ftparchive (apt-utils) and gpg (gnupg)
  gpgv debian-archive-keyring gnupg apt-utils
  # conda end to end: Debian's python3.11 repacked as a conda package gets its RUNPATH from patchelf
  patchelf
  # the Bearer token refresh test's token server signs RS256 JWTs
  python3-cryptography
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})) || [ -z "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -q
  $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
