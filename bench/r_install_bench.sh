#!/usr/bin/env bash
# Installing a set of R binary packages into a layer, side by side with R's own
# install.packages() of the same binaries into an empty library, in one run (issue 13 item 9):
#   the set: a CRAN-like repository of real binaries made by tests/fixtures/cran_repo.py (the
#   tests' repository maker): Debian bookworm's r-cran-* builds of RPKGS and their Depends/Imports
#   closure, repacked as <pkg>_<version>.tar.gz with a PACKAGES index (default: dplyr, tidyr,
#   readr, data.table, stringi, jsonlite, xml2, cli, R6: 32 packages, 17.4 MB of tarballs);
#   mlpack: bench/r_install_bench (linked against mlpack_rpkg/elf/cran/archive/util) doing what
#   `mlpack build` does for the site-library layer: rpkg::install of each (4 at a time; sha256,
#   member checks, DESCRIPTION against the lock and the target R), the DT_NEEDED check of every
#   shared object, archive::write_layer (the tar's diff_id, the blob's digest, compression) into
#   an AtomicFile (fsync); gzip (mlpack's default) and uncompressed;
#   R: Debian's R (r-base-core, installed with apt-get when Rscript is missing; root needed),
#   `Rscript --vanilla -e 'install.packages(<every package in PACKAGES>, repos = "file://<repo>",
#   lib = <empty folder>)'`, one package at a time (R's default) and with Ncpus = 4 (R's
#   parallel make). install.packages orders them by their dependencies and runs `R CMD INSTALL`
#   on each tarball, which recognises a binary package and copies it into the library.
# Each figure is the median of RUNS (default 3), the variants interleaved; wall and CPU
# (user+sys, all threads/children) seconds are printed, since the machine may be shared.
# Usage: bench/r_install_bench.sh   (BUILD_DIR: a build folder, configured here with
# -DMLPACK_BENCH=ON (Release when new; default build-bench) and built with 2 jobs;
# BENCH_DIR: work folder, default /tmp/mlpack-r-install-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(realpath -m "${BENCH_DIR:-/tmp/mlpack-r-install-bench}")
build=${BUILD_DIR:-$root/build-bench}
runs=${RUNS:-3}
rpkgs=${RPKGS:-r-cran-dplyr r-cran-tidyr r-cran-readr r-cran-data.table r-cran-stringi r-cran-jsonlite r-cran-xml2 r-cran-cli r-cran-r6}
mkdir -p "$work"
for t in python3 bc; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done
if ! command -v Rscript >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "needs Debian's R: apt-get install r-base-core (as root)" >&2; exit 1; }
  echo "installing Debian's R (r-base-core)..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-base-core >"$work/apt.log" 2>&1
fi

if [ -f "$build/CMakeCache.txt" ]; then cmake -S "$root" -B "$build" -DMLPACK_BENCH=ON >/dev/null
else cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMLPACK_BENCH=ON >/dev/null; fi
cmake --build "$build" -j2 --target r_install_bench >&2
bench="$build/bench/r_install_bench"

# --- the repository (made once per version of this script, the fixture and the set) -------------
stamp=$( (cat "$0" "$root/tests/fixtures/cran_repo.py"; echo "$rpkgs") | sha256sum | cut -c1-16)
if [ "$(cat "$work/cran/.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$work/cran"; mkdir -p "$work/cran"
  echo "making the repository in $work/cran (downloads the r-cran-* .debs once)..." >&2
  python3 - "$root/tests/fixtures" "$work/cran" $rpkgs <<'PY' >"$work/cran/info.json"
import json, sys
sys.path.insert(0, sys.argv[1])
import cran_repo
print(json.dumps(cran_repo.create(sys.argv[2], packages=sys.argv[3:])))
PY
  echo "$stamp" >"$work/cran/.stamp"
fi
repo=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["root"])' "$work/cran/info.json")
r_version=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["r_version"])' "$work/cran/info.json")
mapfile -t tarballs < <(ls "$repo"/src/contrib/*.tar.gz | sort)
n=${#tarballs[@]}
echo "set: $n packages, $(du -cb "${tarballs[@]}" | tail -1 | cut -f1) bytes of tarballs; $(Rscript --version 2>&1 | head -1)"

r_install() {  # NCPUS: every package of the repository into $work/rlib, by R
  Rscript --vanilla -e "p <- read.dcf('$repo/src/contrib/PACKAGES')[, 'Package']
    install.packages(p, repos = 'file://$repo', lib = '$work/rlib', quiet = TRUE, Ncpus = $1)
    stopifnot(all(p %in% rownames(installed.packages('$work/rlib'))))"
}

TIMEFORMAT='%R %U %S'
declare -A wall cpu
measure() {  # NAME COMMAND...: appends "wall cpu" of one run
  local name=$1; shift
  rm -rf "$work/rlib" "$work"/layer.tar*; mkdir -p "$work/rlib"; sync
  local t; t=$( { time "$@" >"$work/last.out" 2>&1; } 2>&1 | tail -1) || { cat "$work/last.out" >&2; exit 1; }
  read -r r u s <<<"$t"
  wall[$name]+="$r "; cpu[$name]+="$(echo "$u + $s" | bc -l) "
}
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$runs"); do
  echo "run $r/$runs..." >&2
  measure r1 r_install 1
  measure gzip "$bench" --r "$r_version" --compression gzip --out "$work/layer.tar.gz" "${tarballs[@]}"
  measure r4 r_install 4
  measure none "$bench" --r "$r_version" --compression none --out "$work/layer.tar" "${tarballs[@]}"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
"$bench" --r "$r_version" --compression gzip --out "$work/layer.tar.gz" "${tarballs[@]}" |
  sed 's/^run 1:/mlpack gzip, one run in detail:/'
echo "$(nproc) cores, load average $load_start at start, $load_end at end"
printf '%-58s %10s %10s\n' "median of $runs (seconds)" wall cpu
for k in r1 r4 none gzip; do
  case $k in
    r1) label="R install.packages(repos = file://), one at a time" ;;
    r4) label="R install.packages(repos = file://, Ncpus = 4)" ;;
    none) label="mlpack install, layer uncompressed" ;;
    gzip) label="mlpack install, layer gzip" ;;
  esac
  printf '%-58s %10.3f %10.3f\n' "$label" "$(median "${wall[$k]}")" "$(median "${cpu[$k]}")"
done
ratio() { echo "scale=1; $(median "${wall[$1]}") / $(median "${wall[$2]}")" | bc -l; }
echo "speed-up (wall): R/mlpack-gzip $(ratio r1 gzip)x, R-Ncpus4/mlpack-gzip $(ratio r4 gzip)x, R/mlpack-none $(ratio r1 none)x; goal >= 5x"
cpu_ratio() { echo "scale=1; $(median "${cpu[$1]}") / $(median "${cpu[$2]}")" | bc -l; }
echo "speed-up (CPU): R/mlpack-gzip $(cpu_ratio r1 gzip)x, R-Ncpus4/mlpack-gzip $(cpu_ratio r4 gzip)x"
