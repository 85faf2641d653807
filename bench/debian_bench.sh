#!/usr/bin/env bash
# A Debian base with python3, side by side with debootstrap, in one run:
#   cold: `mlpack build` of a project with one .py file from an empty cache (downloads, verifies,
#         unpacks, compresses), vs `debootstrap --variant=minbase --include=python3 bookworm`;
#   warm: the same build again with the cache;
#   size: the unpacked image rootfs vs the debootstrap tree.
# Both fetch from the same mirror (MIRROR, default http://deb.debian.org/debian).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlpack=${MLPACK_BIN:-$here/../build/mlpack}
mirror=${MIRROR:-http://deb.debian.org/debian}
work=${BENCH_DIR:-/tmp/mlpack-debian-bench}
rm -rf "$work"; mkdir -p "$work/project"
echo 'print("hello")' >"$work/project/main.py"
echo 'base: debian:bookworm' >"$work/project/mlpack.yaml"  # what debootstrap builds (the default is trixie)
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.2f}')"; }

t=$(now)
debootstrap --variant=minbase --include=python3 bookworm "$work/debootstrap" "$mirror" >/dev/null 2>&1
t_deboot=$(elapsed "$t")

t=$(now)
MLPACK_CACHE_DIR="$work/cache" "$mlpack" -q build "$work/project" -o "oci:$work/image:t" >/dev/null
t_cold=$(elapsed "$t")
t=$(now)
MLPACK_CACHE_DIR="$work/cache" "$mlpack" -q build "$work/project" -o "oci:$work/image:t" >/dev/null
t_warm=$(elapsed "$t")
# Warm with the project's lock and layers cached, after a source edit.
echo 'print("edited")' >"$work/project/main.py"
t=$(now)
MLPACK_CACHE_DIR="$work/cache" "$mlpack" -q build "$work/project" -o "oci:$work/image:t" >/dev/null
t_edit=$(elapsed "$t")

umoci unpack --image "$work/image:t" "$work/bundle" >/dev/null 2>&1
size_ml=$(du -sb "$work/bundle/rootfs" | cut -f1)
size_db=$(du -sb "$work/debootstrap" | cut -f1)
packages=$(grep -c '^  - ecosystem: deb' "$work/project/mlpack.lock")

printf '%-46s %8.2fs\n' "debootstrap --variant=minbase --include=python3" "$t_deboot"
printf '%-46s %8.2fs  %sx faster than debootstrap (%s packages)\n' "mlpack build, cold cache" "$t_cold" \
  "$(python3 -c "print(f'{$t_deboot / $t_cold:.1f}')")" "$packages"
printf '%-46s %8.2fs\n' "mlpack build, warm cache" "$t_warm"
printf '%-46s %8.2fs\n' "mlpack build, warm, after editing main.py" "$t_edit"
printf '%-46s %8d MiB (debootstrap: %d MiB)\n' "image rootfs size" "$((size_ml / 1048576))" "$((size_db / 1048576))"
