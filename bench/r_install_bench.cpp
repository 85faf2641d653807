// R binary packages installed into one layer, as `mlpack build` makes the site-library layer
// (buildpacks/r/assemble.cpp, then build/pipeline.cpp's write_layer): rpkg::install of every
// package (4 at a time, as assemble does: the tarball's sha256 first, every member checked,
// DESCRIPTION against the name, version and target R, large files staged), the DT_NEEDED libraries
// of every shared object read from the ELF dynamic section and resolved by elf::check_needed
// against what the packages install (the OS's files are not there, so what the OS would provide
// counts as missing and is only counted), the site library's folders, archive::write_layer into an
// AtomicFile (fsync, rename).
//
//   r_install_bench [--r X.Y.Z] [--compression none|gzip|zstd] [--runs N] [--out FILE] TARBALL...
//                   one line per run: seconds (wall and CPU) for each phase and total
//
// A package's name and version come from its file name (<name>_<version>.tar.gz, as CRAN-like
// repositories name binaries); the tarballs' sha256 (the lock's digests) are computed before any
// timing. --r is the R the image runs (default 4.2.2, Debian bookworm's).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "archive/layer.hpp"
#include "bench_common.hpp"
#include "cran/version.hpp"
#include "elf/dynamic.hpp"
#include "elf/needed.hpp"
#include "rpkg/rpkg.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"

namespace fs = std::filesystem;
using namespace mlpack;
using bench::Clock;
using bench::cpu_seconds;
using bench::die;
using bench::since;

namespace {

struct Ref {
  fs::path path;
  std::string name;
  std::string version;
  std::string sha256;
};

Ref ref_of(const fs::path& p) {
  std::string fn = p.filename().string();
  auto us = fn.find('_');
  if (!fn.ends_with(".tar.gz") || us == std::string::npos) {
    std::fprintf(stderr, "%s: not <name>_<version>.tar.gz\n", fn.c_str());
    std::exit(2);
  }
  auto d = util::sha256_file(p.string());
  if (!d) die(fn, d.error());
  return Ref{p, fn.substr(0, us), fn.substr(us + 1, fn.size() - us - 1 - 7), d->hex()};
}

std::string bytes_of(const archive::Entry& e) {
  if (!e.source) return e.data;
  std::ifstream in(*e.source, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  std::string r = "4.2.2";
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--r" && i + 1 < argc) r = argv[++i];
    else rest.push_back(argv[i]);
  }
  auto args = bench::parse_layer_args(static_cast<int>(rest.size()), rest.data(), 1);
  if (args.inputs.empty()) {
    std::fprintf(stderr, "usage: %s [--r X.Y.Z] [--compression none|gzip|zstd] [--runs N] [--out FILE] TARBALL...\n",
                 argv[0]);
    return 2;
  }
  auto target = cran::Version::parse(r);
  if (!target) die("--r", target.error());
  fs::path out = fs::absolute(args.out);
  std::vector<Ref> refs;
  for (const auto& p : args.inputs) refs.push_back(ref_of(p));
  fs::path staging = out.parent_path() / (out.filename().string() + ".staging");

  for (int run = 0; run < args.runs; ++run) {
    fs::remove_all(staging);
    fs::create_directories(staging);
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    rpkg::InstallOptions options;
    options.target_r = *target;
    options.staging_dir = staging;
    std::vector<rpkg::Installed> installed(refs.size());
    auto done = util::parallel_for(refs.size(), 4, [&](std::size_t i) -> util::Result<void> {
      auto p = rpkg::install(refs[i].path, refs[i].name, refs[i].version, refs[i].sha256, options);
      if (!p) return std::unexpected(p.error());
      installed[i] = std::move(*p);
      return {};
    });
    if (!done) die("rpkg::install", done.error());
    double t_install = since(t0), c_install = cpu_seconds() - c0;

    auto t1 = Clock::now();
    double c1 = cpu_seconds();
    elf::ImagePaths paths;
    std::vector<elf::Object> objects;
    for (const auto& pkg : installed) {
      for (const auto& e : pkg.entries) {
        if (e.type == archive::EntryType::symlink) paths.add_symlink(e.path, e.link_target);
        else if (e.type == archive::EntryType::directory) paths.add_directory(e.path);
        else paths.add_file(e.path);
      }
      for (const auto& so : pkg.shared_objects) {
        auto e = std::find_if(pkg.entries.begin(), pkg.entries.end(), [&](const archive::Entry& x) { return x.path == so; });
        if (e == pkg.entries.end()) continue;
        auto info = elf::read_dynamic(std::string_view(bytes_of(*e)), so);
        if (!info) die(so, info.error());
        if (*info) objects.push_back(elf::Object{so, std::move(**info)});
      }
    }
    std::vector<std::string> r_dirs = {"usr/lib/R/lib"};
    auto missing = elf::check_needed(objects, paths, r_dirs);
    double t_elf = since(t1), c_elf = cpu_seconds() - c1;

    auto t2 = Clock::now();
    double c2 = cpu_seconds();
    std::vector<archive::Entry> entries = rpkg::site_library_dirs(options.site_library);
    for (auto& pkg : installed)
      entries.insert(entries.end(), std::make_move_iterator(pkg.entries.begin()), std::make_move_iterator(pkg.entries.end()));
    std::sort(entries.begin(), entries.end(), [](const archive::Entry& a, const archive::Entry& b) { return a.path < b.path; });
    std::size_t n = entries.size();
    archive::LayerOptions lo;
    lo.compression = args.compression;
    auto file = util::AtomicFile::create(out);
    if (!file) die(out.string(), file.error());
    auto written = archive::write_layer(std::move(entries), lo, **file);
    if (!written) die("write_layer", written.error());
    if (auto c = (*file)->commit(); !c) die("commit", c.error());
    double t_write = since(t2), c_write = cpu_seconds() - c2;
    std::printf("run %d: install %.3f (cpu %.3f) elf %.3f (cpu %.3f; %zu objects, %zu sonames left to the OS) "
                "write_layer+commit %.3f (cpu %.3f) total %.3f (cpu %.3f) packages %zu entries %zu tar %llu blob %llu\n",
                run + 1, t_install, c_install, t_elf, c_elf, objects.size(), missing.size(), t_write, c_write, since(t0),
                cpu_seconds() - c0, refs.size(), n, static_cast<unsigned long long>(written->uncompressed_size),
                static_cast<unsigned long long>(written->size));
    std::fflush(stdout);
  }
  fs::remove_all(staging);
  return 0;
}
