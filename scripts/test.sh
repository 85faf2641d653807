#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (real registry, skopeo, umoci, runc) and
# conformance tests, then the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer,
# and a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake --build build
ctest --test-dir build --output-on-failure -j "$jobs"

# The same build holds the fuzz targets: each replays its seeds (tests/fuzz/seeds/) and mutates
# them for a few seconds under the sanitizers (label `fuzz`; the long runs are tests/fuzz/run_afl.sh).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMLPACK_SANITIZE=ON -DMLPACK_UNIT_TESTS_ONLY=ON \
  -DMLPACK_FUZZ=ON >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L 'unit|fuzz' --output-on-failure -j "$jobs"
