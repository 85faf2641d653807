#!/usr/bin/env bash
# Side-by-side benchmarks of the image engine against peers, in one run:
#   1. layer creation of a real rootfs: `mlpack append` vs `umoci insert` (gzip and zstd);
#   2. first push to a local registry: `mlpack push` vs `skopeo copy` of the same OCI layout;
#   3. re-push of the unchanged image (HEAD requests only).
# Usage: bench/image_bench.sh [ROOTFS]   (default: a debootstrap minbase+python3 bookworm tree,
# built once into $BENCH_DIR/rootfs; needs debootstrap and the Debian archive).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlpack=${MLPACK_BIN:-$here/../build/mlpack}
work=${BENCH_DIR:-/tmp/mlpack-bench}
mkdir -p "$work"
rootfs=${1:-$work/rootfs}

if [ ! -d "$rootfs/usr" ]; then
  echo "building $rootfs with debootstrap (once)..." >&2
  debootstrap --variant=minbase --include=python3 bookworm "$rootfs" http://deb.debian.org/debian >&2
fi
# Layers refuse device nodes (a rootfs gets /dev from the runtime), so measure a copy without them.
if find "$rootfs" -type b -o -type c | grep -q .; then
  clean="$work/rootfs-nodev"
  if [ ! -d "$clean" ]; then
    cp -a "$rootfs" "$clean"
    find "$clean" \( -type b -o -type c -o -type p -o -type s \) -delete
  fi
  rootfs=$clean
fi
size=$(du -sb "$rootfs" | cut -f1)
echo "tree: $rootfs ($((size / 1024 / 1024)) MiB, $(find "$rootfs" | wc -l) entries), $(nproc) cores"

now() { date +%s.%N; }
# best of N runs, in seconds
best_of() {
  local n=$1; shift
  local best=""
  for _ in $(seq "$n"); do
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    local t=$(python3 -c "print($(cat "$work/.t1") - $(cat "$work/.t0"))")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then best=$t; fi
  done
  echo "$best"
}
timed() { now >"$work/.t0"; "$@"; local rc=$?; now >"$work/.t1"; return $rc; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

umoci_insert() {
  rm -rf "$work/umoci"
  umoci init --layout "$work/umoci" && umoci new --image "$work/umoci:t"
  timed umoci insert --image "$work/umoci:t" "$rootfs" /
}
mlpack_append() {
  rm -rf "$work/mlpack-out" "$work/cache"
  MLPACK_CACHE_DIR="$work/cache" timed "$mlpack" append --compression "$1" --layer "$rootfs" -o "oci:$work/mlpack-out:t"
}

runs=${RUNS:-3}
t_umoci=$(best_of "$runs" umoci_insert)
t_gzip=$(best_of "$runs" mlpack_append gzip)
t_zstd=$(best_of "$runs" mlpack_append zstd)
gz_size=$(stat -c %s "$work"/mlpack-out/blobs/sha256/* | sort -n | tail -1)
printf '%-42s %8.2fs\n' "umoci insert (gzip)" "$t_umoci"
printf '%-42s %8.2fs  %sx faster than umoci\n' "mlpack append --compression gzip" "$t_gzip" "$(ratio "$t_umoci" "$t_gzip")"
printf '%-42s %8.2fs  %sx faster than umoci\n' "mlpack append --compression zstd" "$t_zstd" "$(ratio "$t_umoci" "$t_zstd")"

# Push: fresh registries so neither tool finds blobs already there.
mlpack_append gzip >/dev/null 2>&1
start_registry() {
  local port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
  mkdir -p "$work/reg-$port"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
    "$work/reg-$port" "$port" >"$work/reg-$port.yml"
  docker-registry serve "$work/reg-$port.yml" >/dev/null 2>&1 &
  echo "$! $port"
}
read -r pid1 port1 < <(start_registry)
read -r pid2 port2 < <(start_registry)
trap 'kill $pid1 $pid2 2>/dev/null || true' EXIT
sleep 1

timed skopeo copy -q --dest-tls-verify=false "oci:$work/mlpack-out:t" "docker://127.0.0.1:$port1/bench/img:t" >/dev/null
t_skopeo=$(python3 -c "print($(cat "$work/.t1") - $(cat "$work/.t0"))")
MLPACK_CACHE_DIR="$work/cache" timed "$mlpack" -q push "oci:$work/mlpack-out:t" "127.0.0.1:$port2/bench/img:t" >/dev/null
t_push=$(python3 -c "print($(cat "$work/.t1") - $(cat "$work/.t0"))")
MLPACK_CACHE_DIR="$work/cache" timed "$mlpack" -q push "oci:$work/mlpack-out:t" "127.0.0.1:$port2/bench/img:t" >/dev/null
t_repush=$(python3 -c "print($(cat "$work/.t1") - $(cat "$work/.t0"))")
timed skopeo copy -q --dest-tls-verify=false "oci:$work/mlpack-out:t" "docker://127.0.0.1:$port1/bench/img:t" >/dev/null
t_skopeo_re=$(python3 -c "print($(cat "$work/.t1") - $(cat "$work/.t0"))")
printf '%-42s %8.2fs  (%s MiB blob)\n' "skopeo copy, first push" "$t_skopeo" "$((gz_size / 1024 / 1024))"
printf '%-42s %8.2fs  %sx faster than skopeo\n' "mlpack push, first push" "$t_push" "$(ratio "$t_skopeo" "$t_push")"
printf '%-42s %8.3fs  (skopeo: %.3fs)\n' "mlpack push, unchanged re-push" "$t_repush" "$t_skopeo_re"
