#!/usr/bin/env bash
# What the SBOM adds to a warm build (issue 16: "less than 5% to a warm build of the examples").
# Each project is copied to a scratch folder and built once cold (its own cache; the lock and
# every layer are then warm), then RUNS warm no-change builds are timed for each SBOM setting,
# interleaved (none, spdx, both, none, ...) so drift in the machine's load hits all three alike,
# each setting into an OCI layout of its own (so each run finds its layout as its previous run
# left it, as a warm rebuild does):
#   none   --sbom none
#   spdx   the default (one SPDX 2.3 document, attached to the OCI layout)
#   both   --sbom both (SPDX and CycloneDX, both attached)
# Figures are medians of wall clock around each command; the script also prints the medians of
# the builds' own --json timings (total_s, output_s, sbom_s: the documents, made on a thread of
# their own while the image is written) and the SBOMs' sizes.
#
# Usage: bench/sbom_bench.sh [PROJECT...]   (default: examples/quickstart examples/model-server
#                                            examples/system-library examples/cli-package)
# Env: MLPACK_BIN (build/mlpack), BENCH_DIR (/tmp/mlpack-sbom-bench), RUNS (9).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlpack=${MLPACK_BIN:-$here/../build/mlpack}
work=${BENCH_DIR:-/tmp/mlpack-sbom-bench}
runs=${RUNS:-9}
if [ $# -eq 0 ]; then
  set -- "$here/../examples/quickstart" "$here/../examples/model-server" "$here/../examples/system-library" \
    "$here/../examples/cli-package"
fi
mkdir -p "$work"
results=$work/results.tsv   # project, setting, wall seconds, --json file
: >"$results"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; binary $mlpack"

for src in "$@"; do
  name=$(basename "$src")
  proj=$work/$name
  rm -rf "$proj" "$work/cache-$name" "$work/out-$name"-*
  cp -r "$src" "$proj"
  rm -rf "$proj/.mlpack" "$proj/mlpack.lock"
  export MLPACK_CACHE_DIR=$work/cache-$name SOURCE_DATE_EPOCH=1700000000
  "$mlpack" build "$proj" --progress none --json >/dev/null 2>"$work/last.err" \
    || { echo "cold build of $name failed:" >&2; cat "$work/last.err" >&2; exit 1; }
  for i in $(seq "$runs"); do
    for setting in none spdx both; do
      out=$work/$name-$setting-$i.json
      t0=$(date +%s.%N)
      "$mlpack" build "$proj" --progress none --json --sbom "$setting" -o "oci:$work/out-$name-$setting:latest" \
        >"$out" 2>"$work/last.err" \
        || { echo "warm build of $name ($setting) failed:" >&2; cat "$work/last.err" >&2; exit 1; }
      t1=$(date +%s.%N)
      printf '%s\t%s\t%s\t%s\n' "$name" "$setting" "$(python3 -c "print($t1 - $t0)")" "$out" >>"$results"
    done
  done
done

python3 - "$results" "$work" <<'PY'
import json, os, statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
work = sys.argv[2]
projects = list(dict.fromkeys(r[0] for r in rows))
print("medians of", len([r for r in rows if r[0] == projects[0] and r[1] == "none"]), "runs each")
print(f"{'project':<16} {'sbom':<5} {'wall':>8} {'vs none':>8} {'total_s':>8} {'output_s':>9} {'sbom_s':>8} {'components':>11} {'SBOM bytes':>11}")
for p in projects:
    base = None
    for s in ("none", "spdx", "both"):
        mine = [r for r in rows if r[0] == p and r[1] == s]
        wall = statistics.median(float(r[2]) for r in mine)
        docs = [json.load(open(r[3])) for r in mine]
        t = lambda k: statistics.median(d["timings"].get(k, 0.0) for d in docs)
        size, components = 0, "-"
        for x in docs[0].get("sbom", []):
            blob = os.path.join(work, f"out-{p}-{s}", "blobs", "sha256", x["document_digest"].split(":", 1)[1])
            size += os.path.getsize(blob)
            if x["format"] == "spdx":
                components = len(json.load(open(blob))["packages"])
        if base is None:
            base = wall
        plus = "" if s == "none" else f"{(wall / base - 1) * 100:+.1f}%"
        print(f"{p:<16} {s:<5} {wall:>7.3f}s {plus:>8} {t('total_s'):>8.3f} {t('output_s'):>9.3f} {t('sbom_s'):>8.4f} {components!s:>11} {size:>11}")
PY
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
