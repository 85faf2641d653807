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
# Figures are medians of wall clock and of CPU time (user + system) of each command; the script
# also prints the medians of the builds' own --json timings (total_s, output_s, sbom_s: the
# documents, made or read from the cache on a thread of their own while the image is written;
# waited: sbom_wait_s, how long the output then waited for them) and the SBOMs' sizes. The cold
# build fills the SBOM cache (<cache>/sbom), so the warm builds read their documents from it.
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
results=$work/results.tsv   # project, setting, wall seconds, CPU seconds, --json file
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; binary $mlpack"

for src in "$@"; do
  name=$(basename "$src")
  proj=$work/$name
  rm -rf "$proj" "$work/cache-$name" "$work/out-$name"-*
  cp -r "$src" "$proj"
  rm -rf "$proj/.mlpack" "$proj/mlpack.lock"
  MLPACK_CACHE_DIR=$work/cache-$name SOURCE_DATE_EPOCH=1700000000 \
    "$mlpack" build "$proj" --progress none --json >/dev/null 2>"$work/last.err" \
    || { echo "cold build of $name failed:" >&2; cat "$work/last.err" >&2; exit 1; }
done

# The timed runs: wall clock around each command, and its CPU time (user + system, from wait4's
# rusage), which a loaded machine disturbs much less than the wall clock.
python3 - "$mlpack" "$work" "$runs" "$results" "$@" <<'PY'
import os, subprocess, sys, time
mlpack, work, runs, results, sources = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
with open(results, "w") as out:
    for src in sources:
        name = os.path.basename(os.path.normpath(src))
        env = dict(os.environ, MLPACK_CACHE_DIR=f"{work}/cache-{name}", SOURCE_DATE_EPOCH="1700000000")
        for i in range(1, runs + 1):
            for setting in ("none", "spdx", "both"):
                doc = f"{work}/{name}-{setting}-{i}.json"
                with open(doc, "wb") as stdout, open(f"{work}/last.err", "wb") as stderr:
                    t0 = time.perf_counter()
                    child = subprocess.Popen([mlpack, "build", f"{work}/{name}", "--progress", "none", "--json",
                                              "--sbom", setting, "-o", f"oci:{work}/out-{name}-{setting}:latest"],
                                             stdout=stdout, stderr=stderr, env=env)
                    _, status, usage = os.wait4(child.pid, 0)
                    wall = time.perf_counter() - t0
                if status != 0:
                    sys.exit(f"warm build of {name} ({setting}) failed: " + open(f"{work}/last.err").read())
                cpu = usage.ru_utime + usage.ru_stime
                out.write(f"{name}\t{setting}\t{wall}\t{cpu}\t{doc}\n")
PY

python3 - "$results" "$work" <<'PY'
import json, os, statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
work = sys.argv[2]
projects = list(dict.fromkeys(r[0] for r in rows))
print("medians of", len([r for r in rows if r[0] == projects[0] and r[1] == "none"]), "runs each")
print(f"{'project':<16} {'sbom':<5} {'wall':>8} {'vs none':>8} {'cpu':>8} {'vs none':>8} {'total_s':>8} {'output_s':>9} "
      f"{'sbom_s':>8} {'waited':>8} {'components':>11} {'SBOM bytes':>11}")
for p in projects:
    base = base_cpu = None
    for s in ("none", "spdx", "both"):
        mine = [r for r in rows if r[0] == p and r[1] == s]
        wall = statistics.median(float(r[2]) for r in mine)
        cpu = statistics.median(float(r[3]) for r in mine)
        docs = [json.load(open(r[4])) for r in mine]
        t = lambda k: statistics.median(d["timings"].get(k, 0.0) for d in docs)
        size, components = 0, "-"
        for x in docs[0].get("sbom", []):
            blob = os.path.join(work, f"out-{p}-{s}", "blobs", "sha256", x["document_digest"].split(":", 1)[1])
            size += os.path.getsize(blob)
            if x["format"] == "spdx":
                components = len(json.load(open(blob))["packages"])
        if base is None:
            base, base_cpu = wall, cpu
        plus = "" if s == "none" else f"{(wall / base - 1) * 100:+.1f}%"
        plus_cpu = "" if s == "none" else f"{(cpu / base_cpu - 1) * 100:+.1f}%"
        print(f"{p:<16} {s:<5} {wall:>7.3f}s {plus:>8} {cpu:>7.4f}s {plus_cpu:>8} {t('total_s'):>8.4f} {t('output_s'):>9.4f} "
              f"{t('sbom_s'):>8.4f} {t('sbom_wait_s'):>8.4f} {components!s:>11} {size:>11}")
PY
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
