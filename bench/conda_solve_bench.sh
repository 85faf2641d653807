#!/usr/bin/env bash
# conda solving (issue 11, item 8): repodata parse throughput and torch environment solves over the
# real pytorch linux-64 repodata (rattler's test data, 1.27 MB) plus a generated conda-forge-like
# channel for what pytorch's packages depend on (bench/make_conda_channel.py), cold (parse
# included) and warm; figures next to the published rattler/resolvo and libsolv ones.
# Each figure is the best of RUNS (default 20); medians are printed too.
# Usage: bench/conda_solve_bench.sh   (BUILD: a build folder configured with -DMLPACK_BENCH=ON)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../build-bench}
runs=${RUNS:-20}
corpora=${MLPACK_CORPORA:-$here/../../shared/corpora}
pytorch=$corpora/conda_channels_packages/rattler_channels/pytorch/linux-64/repodata.json
work=${BENCH_DIR:-/tmp/mlpack-conda-solve-bench}
[ -f "$pytorch" ] || { echo "missing $pytorch (the conda_channels_packages corpus)" >&2; exit 1; }

rm -rf "$work"; mkdir -p "$work"
cmake --build "$build" --target conda_solve_bench >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
python3 "$here/make_conda_channel.py" "$pytorch" "$work/conda-forge" >/dev/null
"$build/bench/conda_solve_bench" "$pytorch" "$work/conda-forge/linux-64/repodata.json" \
  "$work/conda-forge/noarch/repodata.json" "$runs" >"$work/figures.txt"

python3 - "$work/figures.txt" "$runs" <<'EOF'
import sys
f = {}
for line in open(sys.argv[1]):
    key, _, value = line.rstrip("\n").partition(" ")
    f[key] = value
runs = sys.argv[2]
num = lambda k: float(f[k])
print(f"repodata parse (best of {runs}; simdjson On-Demand, records kept as PackageRecord)")
for key, what in (("pytorch", "pytorch linux-64 (real)"), ("generated", "conda-forge-like linux-64 (generated)")):
    print(f"  {what:40s} {num(f'parse_{key}_bytes') / 1e6:6.2f} MB {int(num(f'parse_{key}_records')):6d} records "
          f"{num(f'parse_{key}_ms'):8.2f} ms  {num(f'parse_{key}_mb_per_s'):7.1f} MB/s")
# Published figures (rattler 0.6.0 announcement, Apple M2 Max, full conda-forge repodata, parse not
# included): https://conda.discourse.group/t/rattler-0-6-0-a-new-rust-based-solver/331
peers = {"libsolv (C), python=3.9": 7.3734, "libsolv-rs/resolvo, python=3.9": 4.5831,
         "libsolv (C), tensorflow": 654.38, "libsolv-rs/resolvo, tensorflow": 371.59}
print(f"environment solves (best of {runs}; median in brackets)")
for env in ("cpu", "cuda"):
    warm, cold = num(f"env_{env}_warm_ms"), num(f"env_{env}_cold_ms")
    print(f"  {env:4s}: {int(num(f'env_{env}_packages')):3d} packages  warm {warm:7.2f} ms "
          f"[{num(f'env_{env}_warm_median_ms'):.2f}]  cold {cold:7.2f} ms [{num(f'env_{env}_cold_median_ms'):.2f}]  "
          f"({int(num(f'env_{env}_solvables'))} solvables, {int(num(f'env_{env}_decisions'))} decisions, "
          f"{int(num(f'env_{env}_conflicts'))} conflicts)  goal <100 ms warm: {'met' if warm < 100 else 'NOT met'}")
print("  peers (published; different data and machine, so orders of magnitude only):")
for what, ms in peers.items():
    print(f"    {what:34s} {ms:8.2f} ms   mlpack cpu warm / peer = {num('env_cpu_warm_ms') / ms:.2f}")
EOF
