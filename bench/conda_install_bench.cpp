// conda packages installed into one layer, as `mlpack build` makes it (buildpacks/conda/assemble.cpp
// then build/pipeline.cpp's write_layer): condapkg::install_package for every package (4 at a time,
// one StreamBudget for the layer, as assemble does), check_environment, layer_entries,
// archive::write_layer into an AtomicFile (fsync, rename). Files stream out of the package archives
// while the layer is written, so write_layer's time includes decompressing them, checking their
// sha256 against paths.json, the layer's two digests and compressing it.
//
//   conda_install_bench [--compression none|gzip|zstd] [--runs N] [--out FILE] PACKAGE...
//                       one line per run: seconds (wall and CPU) for each phase and total
//
// A package's name, version and build come from its file name (<name>-<version>-<build>.conda or
// .tar.bz2); the archives' sha256 (the lock's digests) are computed before any timing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "archive/layer.hpp"
#include "condapkg/condapkg.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "bench_common.hpp"

namespace fs = std::filesystem;
using namespace mlpack;
using bench::Clock;
using bench::cpu_seconds;
using bench::die;
using bench::since;

namespace {

condapkg::PackageRef ref_of(const fs::path& p) {
  std::string fn = p.filename().string();
  std::string stem = fn.ends_with(".conda") ? fn.substr(0, fn.size() - 6) : fn.substr(0, fn.size() - 8);
  auto b = stem.rfind('-');
  auto v = stem.rfind('-', b - 1);
  if (b == std::string::npos || v == std::string::npos) {
    std::fprintf(stderr, "%s: not <name>-<version>-<build>\n", fn.c_str());
    std::exit(2);
  }
  condapkg::PackageRef r;
  r.name = stem.substr(0, v);
  r.version = stem.substr(v + 1, b - v - 1);
  r.build = stem.substr(b + 1);
  r.filename = fn;
  auto d = util::sha256_file(p.string());
  if (!d) die(fn, d.error());
  r.sha256 = d->hex();
  r.size = fs::file_size(p);
  r.url = "https://conda.anaconda.org/bench/linux-64/" + fn;
  r.channel = "https://conda.anaconda.org/bench";
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::parse_layer_args(argc, argv, 1);
  auto compression = args.compression;
  int runs = args.runs;
  fs::path out = args.out;
  const auto& packages = args.inputs;
  if (packages.empty()) {
    std::fprintf(stderr, "usage: %s [--compression none|gzip|zstd] [--runs N] [--out FILE] PACKAGE...\n", argv[0]);
    return 2;
  }
  out = fs::absolute(out);
  std::vector<condapkg::PackageRef> refs;
  for (const auto& p : packages) refs.push_back(ref_of(p));
  condapkg::Prefix prefix;
  prefix.site_packages = "lib/python3.11/site-packages";
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    std::vector<condapkg::Installed> installed(packages.size());
    condapkg::InstallOptions options;
    options.streams = condapkg::make_stream_budget();
    auto done = util::parallel_for(packages.size(), 4, [&](std::size_t i) -> util::Result<void> {
      auto p = condapkg::install_package(packages[i], refs[i], prefix, options);
      if (!p) return std::unexpected(p.error());
      installed[i] = std::move(*p);
      return {};
    });
    if (!done) die("install_package", done.error());
    if (auto c = condapkg::check_environment(installed, prefix); !c) die("check_environment", c.error());
    auto entries = condapkg::layer_entries(std::move(installed));
    double t_install = since(t0), c_install = cpu_seconds() - c0;
    std::size_t n = entries.size();

    auto t1 = Clock::now();
    double c1 = cpu_seconds();
    archive::LayerOptions lo;
    lo.compression = compression;
    auto file = util::AtomicFile::create(out);
    if (!file) die(out.string(), file.error());
    auto written = archive::write_layer(std::move(entries), lo, **file);
    if (!written) die("write_layer", written.error());
    double t_write = since(t1), c_write = cpu_seconds() - c1;
    auto t2 = Clock::now();
    if (auto c = (*file)->commit(); !c) die("commit", c.error());
    double t_commit = since(t2);
    std::printf("run %d: install %.3f (cpu %.3f) write_layer %.3f (cpu %.3f) commit %.3f total %.3f (cpu %.3f) "
                "entries %zu tar %llu blob %llu\n",
                r + 1, t_install, c_install, t_write, c_write, t_commit, since(t0), cpu_seconds() - c0, n,
                static_cast<unsigned long long>(written->uncompressed_size),
                static_cast<unsigned long long>(written->size));
    std::fflush(stdout);
  }
  return 0;
}
