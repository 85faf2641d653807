#!/usr/bin/env bash
# Coverage-guided runs of the fuzz targets with AFL++ (tests/fuzz/README.md says how to get a
# working afl-g++-fast on Debian 12): each target named (default: all) runs for SECONDS over its
# seeds in tests/fuzz/seeds/<x>/ and, when OUT already holds an earlier run of it, that run's queue,
# JOBS targets at once (one core each), at nice 19. Prints each target's figures from AFL++'s
# fuzzer_stats and exits 1 if any saved a crash or a hang (replay them through the replay build:
# build-fuzz/fuzz_x OUT/x/default/crashes/id*).
#
#   tests/fuzz/run_afl.sh [-t SECONDS] [-j JOBS] [-o OUT] [-b BUILD] [target...]
#   e.g. AFL_PATH=/opt/afl-gcc12u1 tests/fuzz/run_afl.sh -t 600 -j 2 apt zip
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=600 jobs=1 out=fuzz-out build=build-afl
while getopts "t:j:o:b:" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    j) jobs=$OPTARG ;;
    o) out=$OPTARG ;;
    b) build=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [-j JOBS] [-o OUT] [-b BUILD] [target...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if ((${#targets[@]} == 0)); then
  for d in tests/fuzz/seeds/*/; do targets+=("$(basename "$d")"); done
fi
for t in "${targets[@]}"; do
  [ -d "tests/fuzz/seeds/$t" ] || { echo "no such target: $t (tests/fuzz/seeds/$t is missing)" >&2; exit 2; }
done
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is not installed (apt-get install afl++)" >&2; exit 2; }

if [ ! -f "$build/build.ninja" ]; then
  CC=afl-gcc-fast CXX=afl-g++-fast cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLPACK_FUZZ=AFL -DMLPACK_UNIT_TESTS_ONLY=ON >/dev/null
fi
cmake --build "$build" --target "${targets[@]/#/fuzz_}"

run_one() {
  local t=$1 dir=$out/$1 in
  in=$(mktemp -d)
  cp tests/fuzz/seeds/"$t"/* "$in"/
  # A shared object as the ELF seed (the target binary is too big for AFL++'s 1 MB input limit).
  if [ "$t" = elf ]; then
    for lib in /usr/lib/x86_64-linux-gnu/libdl.so.2 /usr/lib/x86_64-linux-gnu/libutil.so.1; do
      [ -f "$lib" ] && cp "$lib" "$in/"
    done
  fi
  # Go on from an earlier run's queue, kept beside it.
  if [ -d "$dir/default/queue" ]; then
    find "$dir/default/queue" -maxdepth 1 -type f -name 'id*' -size -1024k -exec cp {} "$in"/ \;
    rm -rf "$dir.previous" && mv "$dir" "$dir.previous"
  fi
  mkdir -p "$dir"
  AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SUPPRESS_BANNER=1 \
    nice -n 19 afl-fuzz -V "$seconds" -i "$in" -o "$dir" -- "$build/fuzz_$t" >"$dir.log" 2>&1 || true
  rm -rf "$in"
}
export -f run_one
export out seconds build
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

status=0
printf '%-20s %8s %12s %8s %8s %8s %6s\n' target run_s execs corpus edges crashes hangs
for t in "${targets[@]}"; do
  stats=$out/$t/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    echo "$t: no fuzzer_stats (see $out/$t.log)"; status=1; continue
  fi
  get() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
  printf '%-20s %8s %12s %8s %8s %8s %6s\n' "$t" "$(get run_time)" "$(get execs_done)" "$(get corpus_count)" \
    "$(get edges_found)" "$(get saved_crashes)" "$(get saved_hangs)"
  if [ "$(get saved_crashes)" != 0 ] || [ "$(get saved_hangs)" != 0 ]; then status=1; fi
done
exit $status
