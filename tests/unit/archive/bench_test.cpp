// Throughput of write_layer on a real tree. Skipped by default; run with
//   MLPACK_BENCH_TREE=/usr/share ./unit_archive -ts=bench --no-skip
// Prints MB/s (uncompressed tar bytes per second) for each compression and thread count.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "archive/layer.hpp"

using namespace mlpack;
using namespace mlpack::archive;

namespace {
struct NullWriter final : util::Writer {
  util::Result<void> write(util::Bytes) override { return {}; }
};
}  // namespace

TEST_SUITE("bench") {
  TEST_CASE("write_layer throughput" * doctest::skip()) {
    const char* tree = std::getenv("MLPACK_BENCH_TREE");
    REQUIRE(tree);
    const char* only = std::getenv("MLPACK_BENCH_ONLY");  // e.g. "gzip"
    auto entries = scan_directory(tree);
    REQUIRE(entries);
    struct Case { const char* name; Compression c; int level; };
    const Case cases[] = {{"none", Compression::none, -1}, {"gzip", Compression::gzip, 1},
                          {"gzip", Compression::gzip, 6}, {"zstd", Compression::zstd, 3}};
    for (const auto& c : cases) {
      if (only && std::string(only) != c.name) continue;
      for (unsigned threads : {1u, 2u}) {
        NullWriter out;
        auto start = std::chrono::steady_clock::now();
        auto r = write_layer(*entries, {c.c, 0, c.level, threads}, out);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        REQUIRE(r);
        std::printf("%-4s level %2d threads %u: %7.1f MB/s  (%.0f MB -> %.0f MB, %.2f s)\n", c.name, c.level, threads,
                    r->uncompressed_size / 1e6 / s, r->uncompressed_size / 1e6, r->size / 1e6, s);
      }
    }
  }
}
