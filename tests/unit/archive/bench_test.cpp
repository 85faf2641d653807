// Throughput of write_layer on a real tree. Skipped by default; run with
//   MLPACK_BENCH_TREE=/usr/share ./unit_archive -ts=bench --no-skip
// Prints MB/s (uncompressed tar bytes per second) for each compression and thread count.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "archive/layer.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace mlpack::archive;

namespace {
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST_SUITE("bench") {
  TEST_CASE("write_layer throughput" * doctest::skip()) {
    const char* tree = std::getenv("MLPACK_BENCH_TREE");
    REQUIRE(tree);
    const char* only = std::getenv("MLPACK_BENCH_ONLY");  // e.g. "gzip"
    // A debootstrap tree has device nodes, which layers refuse: leave them out.
    ScanOptions scan;
    scan.exclude = [root = std::filesystem::path(tree)](std::string_view rel) {
      auto st = std::filesystem::symlink_status(root / rel);
      return std::filesystem::is_character_file(st) || std::filesystem::is_block_file(st) ||
             std::filesystem::is_fifo(st) || std::filesystem::is_socket(st);
    };
    auto entries = scan_directory(tree, scan);
    if (!entries) FAIL(entries.error().message);
    struct Case { const char* name; Compression c; int level; };
    const Case cases[] = {{"none", Compression::none, -1}, {"gzip", Compression::gzip, 1},
                          {"gzip", Compression::gzip, 2}, {"gzip", Compression::gzip, 3},
                          {"gzip", Compression::gzip, 4}, {"gzip", Compression::gzip, 6},
                          {"zstd", Compression::zstd, 1}, {"zstd", Compression::zstd, 3}};
    const char* level_env = std::getenv("MLPACK_BENCH_LEVEL");
    for (const auto& c : cases) {
      if (only && std::string(only) != c.name) continue;
      if (level_env && std::atoi(level_env) != c.level) continue;
      for (unsigned threads : {1u, 2u}) {
        // Written to a file (page cache, no fsync), as a real layer would be.
        auto file = util::AtomicFile::create(std::filesystem::temp_directory_path() / "mlpack-bench-layer");
        REQUIRE(file);
        auto& out = **file;
        auto start = std::chrono::steady_clock::now();
        double cpu0 = cpu_seconds();
        auto r = write_layer(*entries, {c.c, 0, c.level, threads}, out);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        double cpu = cpu_seconds() - cpu0;
        REQUIRE(r);
        std::printf("%-4s level %2d threads %u: %7.1f MB/s wall, %7.1f MB per CPU-second  (%.0f MB -> %.0f MB, %.2f s, cpu %.2f s)\n",
                    c.name, c.level, threads, r->uncompressed_size / 1e6 / s, r->uncompressed_size / 1e6 / cpu,
                    r->uncompressed_size / 1e6, r->size / 1e6, s, cpu);
      }
    }
  }
}
