#!/usr/bin/env bash
# Build and rebuild of one project, mlpack side by side with peers, in one run (issue 6, item 12):
#   cold      empty cache, no mlpack.lock (resolve, download, verify, unpack, compress, write)
#   nochange  the same build again: lock reused, every layer from the cache
#   edit      after editing one .py file (a new /app layer)
#   locked    the same edit with --locked (the lock only read)
#   push      edit, then build straight into a local docker-registry (blobs pushed from --json)
#   *-git     no-change and edit rebuilds with the project in a git repository
# Peers on the same project: `podman build` and `buildah bud --layers` with the equivalent
# Containerfile (FROM a debootstrap minbase bookworm imported as an image; apt-get installs the
# same apt.txt packages; COPY . /app), and, as a lower bound for the cold path,
# `debootstrap --variant=minbase bookworm` + `apt-get install` in the chroot.
# Everything downloads from the same mirror (MIRROR, default http://deb.debian.org/debian).
#
# Usage: bench/build_bench.sh [PROJECT]    (default: examples/quickstart)
# Env: MLPACK_BIN, BENCH_DIR (/tmp/mlpack-build-bench), RUNS (5: warm runs per scenario),
#      COLD_RUNS (3), PEERS ("podman buildah debootstrap"; "" for mlpack only).
# Times are wall clock around each command; figures are medians. mlpack runs with
# `--progress none --json`; the script also prints the medians of its own `timings`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlpack=${MLPACK_BIN:-$here/../build/mlpack}
src=$(cd "${1:-$here/../examples/quickstart}" && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}
work=${BENCH_DIR:-/tmp/mlpack-build-bench}
runs=${RUNS:-5}
cold_runs=${COLD_RUNS:-3}
peers=${PEERS-podman buildah debootstrap}
mkdir -p "$work"
results=$work/results.tsv   # tool, scenario, seconds, --json file or -
: >"$results"
rm -rf "$work/json"; mkdir -p "$work/json"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

now() { date +%s.%N; }
# record TOOL SCENARIO JSONFILE CMD...: time CMD (its stdout into JSONFILE, or discarded for -)
record() {
  local tool=$1 scenario=$2 out=$3; shift 3
  local t0 t1
  t0=$(now)
  if [ "$out" = - ]; then "$@" >/dev/null 2>"$work/last.err"; else "$@" >"$out" 2>"$work/last.err"; fi \
    || { echo "failed ($tool $scenario): $*" >&2; cat "$work/last.err" >&2; exit 1; }
  t1=$(now)
  printf '%s\t%s\t%s\t%s\n' "$tool" "$scenario" "$(python3 -c "print($t1 - $t0)")" "$out" >>"$results"
}
fresh_project() {  # a copy of the project without what a build leaves behind
  rm -rf "$1"; cp -r "$src" "$1"; rm -rf "$1/.mlpack" "$1/mlpack.lock" "$1"/*.tar
  # The peers start from a bookworm debootstrap: mlpack builds the same release (its default is trixie).
  grep -qs '^base:' "$1/mlpack.yaml" || echo 'base: debian:bookworm' >>"$1/mlpack.yaml"
}
edit_file() {  # the .py file the edit scenarios change: predict.py if there is one, else the first
  if [ -f "$1/predict.py" ]; then echo "$1/predict.py"; else find "$1" -maxdepth 1 -name '*.py' | sort | head -1; fi
}
free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
registry_pid=""
cleanup() { if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
start_registry() {  # a fresh, empty one (each tool pushes to its own: no blob mounts across tools)
  cleanup
  local port; port=$(free_port)
  rm -rf "$work/registry"; mkdir -p "$work/registry"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
    "$work/registry/data" "$port" >"$work/registry/config.yml"
  docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.1
  done
  registry="127.0.0.1:$port"
}

# ---------------------------------------------------------------- mlpack
proj=$work/project
cache=$work/cache
mlb() { MLPACK_CACHE_DIR="$cache" "$mlpack" build "$proj" --progress none --json "$@"; }
echo "mlpack: $("$mlpack" version 2>/dev/null || echo "$mlpack"), project $src, $(nproc) cores, load $load_start" >&2

for i in $(seq "$runs"); do record mlpack startup - "$mlpack" version; done  # the floor: exec + exit
for i in $(seq "$cold_runs"); do
  fresh_project "$proj"; rm -rf "$cache" "$work/out"
  record mlpack cold "$work/json/cold.$i.json" mlb -o "oci:$work/out:t"
done
file=$(edit_file "$proj")
for i in $(seq "$runs"); do record mlpack nochange "$work/json/nochange.$i.json" mlb -o "oci:$work/out:t"; done
for i in $(seq "$runs"); do record mlpack nochange-locked "$work/json/nochange-locked.$i.json" mlb --locked -o "oci:$work/out:t"; done
for i in $(seq "$runs"); do
  echo "# edit c$i" >>"$file"
  record mlpack edit "$work/json/edit.$i.json" mlb -o "oci:$work/out:t"
done
for i in $(seq "$runs"); do
  echo "# edit d$i" >>"$file"
  record mlpack edit-locked "$work/json/edit-locked.$i.json" mlb --locked -o "oci:$work/out:t"
done
start_registry
record mlpack push-first "$work/json/push-first.json" mlb -o "$registry/bench/mlpack:t"
for i in $(seq "$runs"); do
  echo "# edit e$i" >>"$file"
  record mlpack push "$work/json/push.$i.json" mlb -o "$registry/bench/mlpack:t"
done

# The same rebuilds with the project in a git repository (one commit, an origin remote, the edits
# left uncommitted): the build then also reads the commit time and revision labels from git.
gproj=$work/project-git
fresh_project "$gproj"
git -C "$gproj" init -q && git -C "$gproj" add -A
git -C "$gproj" -c user.name=bench -c user.email=bench@example.com commit -qm init
git -C "$gproj" remote add origin https://example.com/team/quickstart.git
mlg() { MLPACK_CACHE_DIR="$cache" "$mlpack" build "$gproj" --progress none --json -o "oci:$work/out-git:t" "$@"; }
mlg >/dev/null  # lock and layers for this commit time (untimed)
gfile=$(edit_file "$gproj")
for i in $(seq "$runs"); do record mlpack nochange-git "$work/json/nochange-git.$i.json" mlg; done
for i in $(seq "$runs"); do
  echo "# edit g$i" >>"$gfile"
  record mlpack edit-git "$work/json/edit-git.$i.json" mlg
done

# ---------------------------------------------------------------- peers
apt_packages=$(sed -e 's/#.*//' "$src/apt.txt" 2>/dev/null | tr -s ' \n' ' ' || true)
base_rootfs=$work/base-rootfs
if [[ " $peers " == *" podman "* || " $peers " == *" buildah "* ]]; then
  # The base a Dockerfile would pull (debian:bookworm): no network to Docker Hub here, so a
  # debootstrap minbase tree imported as an image, built once and not timed (a pull is not timed).
  if [ ! -f "$base_rootfs/.complete" ]; then
    rm -rf "$base_rootfs"
    debootstrap --variant=minbase bookworm "$base_rootfs" "$mirror" >"$work/debootstrap-base.log" 2>&1
    touch "$base_rootfs/.complete"
  fi
  cat >"$work/Containerfile" <<EOF
FROM localhost/bookworm-minbase
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $apt_packages && rm -rf /var/lib/apt/lists/*
COPY . /app
WORKDIR /app
USER 1000
EOF
fi
peer_project=$work/peer-project
for tool in podman buildah; do
  [[ " $peers " == *" $tool "* ]] || continue
  command -v "$tool" >/dev/null || { echo "$tool: not installed" >&2; continue; }
  store=(--root "$work/$tool/root" --runroot "$work/$tool/run" --storage-driver overlay)
  if ! "$tool" "${store[@]}" images -q localhost/bookworm-minbase 2>/dev/null | grep -q .; then
    tar -C "$base_rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude=./.complete -c . \
      | podman "${store[@]}" import - localhost/bookworm-minbase:latest >/dev/null 2>&1
  fi
  if [ "$tool" = podman ]; then
    build=(podman "${store[@]}" build --network host -f "$work/Containerfile" -t bench/q:t)
  else
    build=(buildah "${store[@]}" bud --layers --network host -f "$work/Containerfile" -t bench/q:t)
  fi
  for i in $(seq "$cold_runs"); do
    fresh_project "$peer_project"
    record "$tool" cold - "${build[@]}" --no-cache "$peer_project"
  done
  pfile=$(edit_file "$peer_project")
  for i in $(seq "$runs"); do record "$tool" nochange - "${build[@]}" "$peer_project"; done
  for i in $(seq "$runs"); do echo "# edit c$i" >>"$pfile"; record "$tool" edit - "${build[@]}" "$peer_project"; done
  start_registry
  push=("$tool" "${store[@]}" push --tls-verify=false bench/q:t "docker://$registry/bench/$tool:t")
  build_and_push() { "${build[@]}" "$peer_project" && "${push[@]}"; }
  record "$tool" push-first - build_and_push
  for i in $(seq "$runs"); do
    echo "# edit e$i" >>"$pfile"
    record "$tool" push - build_and_push
  done
done
if [[ " $peers " == *" debootstrap "* ]]; then
  # Lower bound for a cold build: the tree alone, no image written.
  chroot_dir=$work/chroot
  fresh_project "$peer_project"
  rm -rf "$chroot_dir"
  record debootstrap cold - sh -c '
    debootstrap --variant=minbase bookworm "$1" "$2" &&
    chroot "$1" sh -c "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $3" &&
    cp -r "$4" "$1/app"' sh "$chroot_dir" "$mirror" "$apt_packages" "$peer_project"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
python3 - "$results" "$load_start" "$load_end" "$(nproc)" <<'EOF'
import json, statistics, sys
path, load_start, load_end, cores = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
t, docs = {}, {}
for tool, scenario, secs, out in rows:
    t.setdefault((tool, scenario), []).append(float(secs))
    if out != "-":
        docs.setdefault((tool, scenario), []).append(json.load(open(out)))
med = {k: statistics.median(v) for k, v in t.items()}
tools = [x for x in ["mlpack", "podman", "buildah", "debootstrap"] if any(k[0] == x for k in t)]
scenarios = ["startup", "cold", "nochange", "nochange-locked", "edit", "edit-locked", "push-first", "push", "nochange-git", "edit-git"]
label = {"startup": "process start (`mlpack version`)", "cold": "cold build (empty cache, no lock)", "nochange": "no-change rebuild",
         "nochange-locked": "no-change rebuild --locked", "edit": "rebuild after editing one .py",
         "edit-locked": "edit rebuild --locked", "push-first": "first push (warm build + push)",
         "push": "edit + build + push to registry",
         "nochange-git": "no-change rebuild, git repo", "edit-git": "edit rebuild, git repo"}
print(f"{cores} cores, load average {load_start} at start, {load_end} at end; medians (n), wall clock")
print(f"{'scenario':34}" + "".join(f"{x:>16}" for x in tools) + "   peer/mlpack")
for s in scenarios:
    if not any((x, s) in med for x in tools):
        continue
    cells = "".join(f"{med[(x, s)]:>10.3f}s ({len(t[(x, s)])})" if (x, s) in med else f"{'-':>16}" for x in tools)
    ratios = [f"{x} {med[(x, s)] / med[('mlpack', s)]:.1f}x" for x in tools[1:]
              if (x, s) in med and ("mlpack", s) in med]
    print(f"{label[s]:34}{cells}   {', '.join(ratios)}")
if ("mlpack", "cold") in docs:
    d = docs[("mlpack", "cold")][0]
    print(f"mlpack image: {len(d.get('packages', []))} locked packages, "
          f"{len(d['image']['layers'])} layers, {sum(l['size'] for l in d['image']['layers']) / 2**20:.1f} MiB compressed")
print("\nmlpack --json timings, medians (s):")
keys = sorted({k for v in docs.values() for d in v for k in d.get("timings", {})})
print(f"{'scenario':18}" + "".join(f"{k:>16}" for k in keys))
for s in scenarios:
    if ("mlpack", s) not in docs:
        continue
    ds = docs[("mlpack", s)]
    print(f"{s:18}" + "".join(
        f"{statistics.median([d['timings'][k] for d in ds if k in d.get('timings', {})]):>16.3f}"
        if any(k in d.get("timings", {}) for d in ds) else f"{'-':>16}" for k in keys))
for s in ["push-first", "push"]:
    if ("mlpack", s) in docs:
        sm = [d["summary"] for d in docs[("mlpack", s)]]
        print(f"mlpack {s}: blobs pushed {[x['blobs_pushed'] for x in sm]}, skipped {[x['blobs_skipped'] for x in sm]}, "
              f"bytes pushed {[x['bytes_pushed'] for x in sm]}")
print()
for s, target in [("edit", 0.5), ("nochange", 0.2), ("edit-git", 0.5), ("nochange-git", 0.2)]:
    if ("mlpack", s) in med:
        m = med[("mlpack", s)]
        print(f"target {label[s]} < {target}s: {m:.3f}s median, max {max(t[('mlpack', s)]):.3f}s -> "
              f"{'met' if m < target else 'MISSED'}")
EOF
