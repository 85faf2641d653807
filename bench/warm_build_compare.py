#!/usr/bin/env python3
"""Warm no-change builds of the same projects by two mlpack binaries, side by side in one run
(issue 17: the layer planner must not make a warm build more than 10% slower).

Each project is copied twice (one copy per binary, each with its own cache), built once cold by
its binary, then RUNS warm builds are timed, alternating the binaries so drift in the machine's
load hits both alike. Prints the median wall clock per binary and the ratio after/before, plus each
image's layer count.

    python3 bench/warm_build_compare.py BEFORE_BIN AFTER_BIN PROJECT...
    env: RUNS (15), BENCH_DIR (/tmp/mlpack-warm-compare)
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def build(binary, project, cache, out):
    env = dict(os.environ, MLPACK_CACHE_DIR=cache, SOURCE_DATE_EPOCH="1700000000")
    env.pop("CI", None)
    t0 = time.perf_counter()
    r = subprocess.run([binary, "build", project, "--json", "--progress", "none", "-o", f"oci:{out}:bench"],
                       capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"{binary} build {project} failed:\n{r.stderr[-2000:]}")
    return elapsed, json.loads(r.stdout)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    before, after, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
    runs = int(os.environ.get("RUNS", "15"))
    work = os.environ.get("BENCH_DIR", "/tmp/mlpack-warm-compare")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open("/proc/loadavg") as f:
        print(f"{os.cpu_count()} cores, load average {' '.join(f.read().split()[:3])} at start; {runs} warm runs each")
    print(f"{'project':<16} {'before':>9} {'after':>9} {'after/before':>13} {'layers':>8}")
    for src in projects:
        name = os.path.basename(os.path.abspath(src))
        copies = {}
        for tag, binary in (("before", before), ("after", after)):
            d = os.path.join(work, f"{name}-{tag}")
            shutil.copytree(src, d, ignore=shutil.ignore_patterns(".mlpack", "mlpack.lock"))
            cache, out = os.path.join(work, f"cache-{tag}"), os.path.join(work, f"out-{name}-{tag}")
            _, doc = build(binary, d, cache, out)  # cold: lock, download, layers
            copies[tag] = (binary, d, cache, out, len(doc["image"]["layers"]))
        times = {"before": [], "after": []}
        for _ in range(runs):
            for tag in ("before", "after"):
                binary, d, cache, out, _ = copies[tag]
                elapsed, doc = build(binary, d, cache, out)
                times[tag].append(elapsed)
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        layers = f"{copies['before'][4]}/{copies['after'][4]}"
        print(f"{name:<16} {b:>8.3f}s {a:>8.3f}s {a / b:>12.2f}x {layers:>8}")
    with open("/proc/loadavg") as f:
        print(f"load average {' '.join(f.read().split()[:3])} at end")


if __name__ == "__main__":
    main()
