// Wheel install into a venv layer, exactly as `mlpack build` makes it (buildpacks/python/assemble.cpp
// then build/pipeline.cpp's write_layer): venv_entries, install_wheel for every wheel (4 at a time,
// as assemble does), layer_entries, archive::write_layer into an AtomicFile (fsync, rename).
//
//   wheel_install_bench select WHEEL...      prints the wheels that install, one project name
//                                            each, without conflicts (in order given); reasons
//                                            for the rest on stderr
//   wheel_install_bench run [--compression none|gzip|zstd] [--runs N] [--out FILE] WHEEL...
//                                            one line per run: seconds for each phase and total
//   wheel_install_bench parts WHEEL...       costs of the install phase's parts, one thread each:
//                                            whole-wheel sha256, every member decompressed once
//                                            through archive::open_zip_member
//
// The wheels' sha256 (the lock's digests) are computed before any timing.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <libdeflate.h>
#include <unistd.h>
#include <zlib.h>

#include "bench_common.hpp"
#include "archive/layer.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "wheel/wheel.hpp"
#include "archive/zip.hpp"

namespace fs = std::filesystem;
using namespace mlpack;
using bench::Clock;
using bench::cpu_seconds;
using bench::die;
using bench::since;

namespace {

std::vector<util::Digest> digests_of(const std::vector<fs::path>& wheels) {
  std::vector<util::Digest> out;
  for (const auto& w : wheels) {
    auto d = util::sha256_file(w.string());
    if (!d) die(w.string(), d.error());
    out.push_back(*d);
  }
  return out;
}

int select(const std::vector<fs::path>& wheels) {
  auto digests = digests_of(wheels);
  wheel::VenvLayout layout;
  std::vector<wheel::Distribution> accepted;
  std::set<std::string> names;
  for (std::size_t i = 0; i < wheels.size(); ++i) {
    auto d = wheel::install_wheel(wheels[i], digests[i], layout);
    if (!d) {
      std::fprintf(stderr, "skipped %s: %s\n", wheels[i].filename().c_str(), d.error().message.c_str());
      continue;
    }
    if (names.contains(d->name)) {
      std::fprintf(stderr, "skipped %s: %s is already in the set\n", wheels[i].filename().c_str(), d->name.c_str());
      continue;
    }
    accepted.push_back(std::move(*d));
    if (auto c = wheel::check_conflicts(accepted); !c) {
      std::fprintf(stderr, "skipped %s: %s\n", wheels[i].filename().c_str(), c.error().message.c_str());
      accepted.pop_back();
      continue;
    }
    names.insert(accepted.back().name);
    std::printf("%s\n", wheels[i].c_str());
  }
  return 0;
}

int run(const std::vector<fs::path>& wheels, archive::Compression compression, int runs, const fs::path& out) {
  auto digests = digests_of(wheels);
  wheel::VenvLayout layout;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    auto venv = wheel::venv_entries(layout);
    if (!venv) die("venv_entries", venv.error());
    std::vector<wheel::Distribution> dists(wheels.size());
    auto done = util::parallel_for(wheels.size(), 4, [&](std::size_t i) -> util::Result<void> {
      auto d = wheel::install_wheel(wheels[i], digests[i], layout);
      if (!d) return std::unexpected(d.error());
      dists[i] = std::move(*d);
      return {};
    });
    if (!done) die("install_wheel", done.error());
    dists.insert(dists.begin(), wheel::Distribution{"the virtual environment", "", std::move(*venv)});
    auto entries = wheel::layer_entries(std::move(dists));
    if (!entries) die("layer_entries", entries.error());
    double t_install = since(t0), c_install = cpu_seconds() - c0;
    std::size_t n = entries->size();

    auto t1 = Clock::now();
    double c1 = cpu_seconds();
    archive::LayerOptions options;
    options.compression = compression;
    auto file = util::AtomicFile::create(out);
    if (!file) die(out.string(), file.error());
    auto written = archive::write_layer(std::move(*entries), options, **file);
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

int parts(const std::vector<fs::path>& wheels) {
  auto t0 = cpu_seconds();
  auto digests = digests_of(wheels);
  double t_sha = cpu_seconds() - t0;
  auto t1 = cpu_seconds();
  std::uint64_t members = 0, bytes = 0;
  std::vector<std::byte> buf(1 << 16);
  for (const auto& w : wheels) {
    auto zip = archive::ZipReader::open(w);
    if (!zip) die(w.string(), zip.error());
    for (const auto& m : zip->members()) {
      if (m.is_directory()) continue;
      auto r = archive::open_zip_member(w, m);
      if (!r) die(m.name, r.error());
      for (;;) {
        auto k = (*r)->read(buf);
        if (!k) die(m.name, k.error());
        if (*k == 0) break;
        bytes += *k;
      }
      ++members;
    }
  }
  double t_read = cpu_seconds() - t1;
  // The same members opened but not read: the fixed cost per member (open, local header pread).
  auto t2 = cpu_seconds();
  for (const auto& w : wheels) {
    auto zip = archive::ZipReader::open(w);
    for (const auto& m : zip->members())
      if (!m.is_directory()) (void)archive::open_zip_member(w, m);
  }
  double t_open = cpu_seconds() - t2;
  // sha256 over the uncompressed bytes (RECORD check), same amount of data, from memory.
  std::vector<std::byte> block(1 << 20, std::byte{7});
  auto t3 = cpu_seconds();
  util::Sha256Writer h;
  for (std::uint64_t left = bytes; left > 0;) {
    std::size_t k = std::min<std::uint64_t>(left, block.size());
    (void)h.write({block.data(), k});
    left -= k;
  }
  (void)h.finish();
  double t_hash = cpu_seconds() - t3;
  // What inflating costs on its own: read each member's compressed bytes (sizes from the
  // local header) and inflate them with zlib (streaming, 64 KiB out) and with libdeflate (one shot).
  double t_zlib = 0, t_libdeflate = 0;
  std::uint64_t raw_members = 0;
  auto* dec = libdeflate_alloc_decompressor();
  for (const auto& w : wheels) {
    auto zip = archive::ZipReader::open(w);
    int fd = ::open(w.c_str(), O_RDONLY | O_CLOEXEC);
    for (const auto& m : zip->members()) {
      if (m.is_directory()) continue;
      unsigned char lh[30];
      if (::pread(fd, lh, 30, static_cast<off_t>(m.offset)) != 30) continue;
      auto le16 = [&](int o) { return static_cast<unsigned>(lh[o] | (lh[o + 1] << 8)); };
      auto le32 = [&](int o) { return static_cast<std::uint64_t>(le16(o) | (le16(o + 2) << 16)); };
      unsigned method = le16(8);
      std::uint64_t csize = le32(18);
      if (method != 8 || csize == 0 || csize == 0xffffffff) continue;
      std::vector<unsigned char> in(csize), outb(m.size);
      if (::pread(fd, in.data(), csize, static_cast<off_t>(m.offset + 30 + le16(26) + le16(28))) !=
          static_cast<ssize_t>(csize))
        continue;
      double a = cpu_seconds();
      z_stream z{};
      inflateInit2(&z, -15);
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(csize);
      std::vector<unsigned char> chunk(1 << 16);
      int rc;
      do {
        z.next_out = chunk.data();
        z.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&z, Z_NO_FLUSH);
      } while (rc == Z_OK);
      inflateEnd(&z);
      double b = cpu_seconds();
      std::size_t got = 0;
      libdeflate_deflate_decompress(dec, in.data(), csize, outb.data(), outb.size(), &got);
      t_zlib += b - a;
      t_libdeflate += cpu_seconds() - b;
      ++raw_members;
    }
    ::close(fd);
  }
  libdeflate_free_decompressor(dec);
  std::printf("one thread, CPU seconds: wheel sha256 %.3f s; %llu members, %llu bytes: open+inflate %.3f s (open only %.3f s), "
              "sha256 of that many bytes %.3f s; raw inflate of %llu deflated members: zlib %.3f s, libdeflate %.3f s\n",
              t_sha, static_cast<unsigned long long>(members), static_cast<unsigned long long>(bytes), t_read, t_open,
              t_hash, static_cast<unsigned long long>(raw_members), t_zlib, t_libdeflate);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s select|run|parts [options] WHEEL...\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  auto args = bench::parse_layer_args(argc, argv, 2);
  const auto& wheels = args.inputs;
  auto compression = args.compression;
  int runs = args.runs;
  fs::path out = args.out;
  if (mode == "select") return select(wheels);
  if (mode == "run") return run(wheels, compression, runs, fs::absolute(out));
  if (mode == "parts") return parts(wheels);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
