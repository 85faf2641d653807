// Duplicate shared libraries across layers (issue 14 item 6): the soname read from a file's first
// bytes, the CUDA file-name table, the duplicate finder and its warning, and the sink, cold and
// warm, so that a layer found in the cache warns as one just written.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "../elf/elf_builder.hpp"
#include "archive/entry.hpp"
#include "buildpacks/cuda/tables.hpp"
#include "elf/dynamic.hpp"
#include "elf/soname.hpp"
#include "pipeline/shared_libs.hpp"
#include "pipeline/sink.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"
#include "util/text.hpp"

using namespace mlpack;
using namespace mlpack::pipeline;
namespace bp = mlpack::buildpacks;
namespace fs = std::filesystem;

namespace {

std::string library(const std::string& soname, std::size_t padding = 0) {
  elf_test::ElfSpec spec;
  spec.soname = soname;
  spec.needed = {"libc.so.6"};
  auto bytes = elf_test::build_elf(spec);
  // Padding after the headers, as a real library's code and data: sizes differ between copies.
  return bytes + std::string(padding, '\x90');
}

archive::Entry in_memory(std::string path, std::string data) {
  archive::Entry e;
  e.path = std::move(path);
  e.size = data.size();
  e.data = std::move(data);
  return e;
}

// An entry streamed when the layer is written, as condapkg and the wheel installer hand them in.
archive::Entry streamed(std::string path, std::string data) {
  archive::Entry e;
  e.path = std::move(path);
  e.size = data.size();
  e.open = [data = std::move(data)]() -> util::Result<std::unique_ptr<util::Reader>> {
    return std::unique_ptr<util::Reader>(std::make_unique<util::StringReader>(data));
  };
  return e;
}

}  // namespace

TEST_CASE("soname_from_head reads DT_SONAME through the program headers, from a prefix of the file") {
  auto bytes = library("libcudart.so.12");
  CHECK(elf::soname_from_head(bytes) == "libcudart.so.12");

  // The section headers are at the end: cut them off and read_dynamic refuses the file, while the
  // loader's view (program headers, PT_DYNAMIC, the string table in a PT_LOAD) is all there.
  elf_test::ElfSpec spec;
  spec.soname = "libcublasLt.so.12";
  auto whole = elf_test::build_elf(spec);
  auto cut = whole.substr(0, whole.size() - 64);
  CHECK_FALSE(elf::read_dynamic(cut).has_value());
  CHECK(elf::soname_from_head(cut) == "libcublasLt.so.12");

  spec.is_64 = false;
  spec.big_endian = true;
  CHECK(elf::soname_from_head(elf_test::build_elf(spec)) == "libcublasLt.so.12");

  // Without a name, program headers, or enough bytes: no name, never an error.
  spec = {};
  CHECK_FALSE(elf::soname_from_head(elf_test::build_elf(spec)).has_value());
  spec.soname = "libx.so.1";
  spec.program_headers = false;
  CHECK_FALSE(elf::soname_from_head(elf_test::build_elf(spec)).has_value());
  CHECK_FALSE(elf::soname_from_head(bytes.substr(0, 100)).has_value());
  CHECK_FALSE(elf::soname_from_head(std::string_view("#!/bin/sh\necho hi\n")).has_value());
  CHECK_FALSE(elf::soname_from_head(std::string_view("")).has_value());

  // Every prefix of a file either names it rightly or names nothing.
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    auto got = elf::soname_from_head(std::string_view(bytes).substr(0, n));
    if (got) CHECK(*got == "libcudart.so.12");
  }
}

TEST_CASE("SonameStream finds the dynamic array past its head, as deep in a large library") {
  auto bytes = library("libcudart.so.12", 100);
  auto at = bytes.find("libcudart.so.12");
  REQUIRE(at != std::string::npos);
  // The head ends just after the string table: the dynamic array after it is caught in passing.
  for (std::size_t chunk : {1, 7, 64, 4096}) {
    CAPTURE(chunk);
    elf::SonameStream stream(at + 16);
    for (std::size_t i = 0; i < bytes.size(); i += chunk) stream.feed(std::string_view(bytes).substr(i, chunk));
    CHECK(stream.soname() == "libcudart.so.12");
  }
  // A head that ends inside the string: no name rather than a wrong one.
  elf::SonameStream short_head(at + 5);
  short_head.feed(bytes);
  CHECK_FALSE(short_head.soname().has_value());
  // A stream cut before the dynamic array: no name.
  elf::SonameStream cut(at + 16);
  cut.feed(std::string_view(bytes).substr(0, at + 20));
  CHECK_FALSE(cut.soname().has_value());
  elf::SonameStream text;
  text.feed(std::string_view("#!/bin/sh\n"));
  CHECK_FALSE(text.soname().has_value());
}

TEST_CASE("soname readers agree with read_dynamic on the host's own libraries, large ones too") {
  int seen = 0, streamed = 0;
  for (const char* dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      auto name = e.path().filename().string();
      if (!e.is_regular_file() || e.is_symlink() || name.find(".so") == std::string::npos || seen >= 300) continue;
      auto text = util::read_file(e.path(), 256 << 20);
      if (!text) continue;
      auto full = elf::read_dynamic(*text, name);
      if (!full || !*full) continue;
      CAPTURE(name);
      std::optional<std::string> expected;
      if (!(*full)->soname.empty()) expected = (*full)->soname;
      CHECK(elf::soname_from_head(*text) == expected);
      // As a file on disk (a few reads) and as a stream in 64 KiB chunks (head + dynamic array).
      LibraryScan scan([](std::string_view) { return true; });
      archive::Entry on_disk;
      on_disk.path = "lib/" + name;
      on_disk.source = e.path();
      on_disk.size = text->size();
      std::vector<archive::Entry> entries = {on_disk};
      scan.prepare(entries);
      auto libs = scan.libraries();
      CHECK(libs.size() == (expected ? 1u : 0u));
      if (expected && libs.size() == 1) CHECK(libs[0].soname == *expected);
      elf::SonameStream stream;
      for (std::size_t i = 0; i < text->size(); i += 65536) stream.feed(std::string_view(*text).substr(i, 65536));
      auto got = stream.soname();
      if (got) CHECK(got == expected);
      streamed += got == expected;
      ++seen;
    }
  }
  if (seen == 0) MESSAGE("skipping: no shared libraries on this host to compare with");
  // The string table lies in the head of all but the odd huge C++ library.
  CHECK(streamed * 10 >= seen * 9);
  MESSAGE(seen << " libraries, " << streamed << " named from a stream");
}

TEST_CASE("the CUDA table names NVIDIA's redistributable libraries by file name") {
  using bp::cuda::is_cuda_library_file;
  for (const char* yes : {"libcudart.so.12", "libcudart.so", "libcudart.so.12.1.105", "libcublasLt.so.12", "libcudnn.so.8",
                          "libcudnn_ops_infer.so.8", "libcudnn_graph.so.9", "libnccl.so.2", "libnvrtc-builtins.so.12.1",
                          "libnvJitLink.so.12", "libcusparseLt.so.0", "libnppc.so.12"}) {
    CAPTURE(yes);
    CHECK(is_cuda_library_file(yes));
  }
  for (const char* no : {"libcuda.so.1", "libcurl.so.4", "libcudart_static.a", "libcudnn", "libcudnnx.so.8",
                         "libcudnn_.so.8", "libnvidia-ml.so.1", "libcudart.soname", "libcudart.so12", ".so.1",
                         "libcublas.txt", "libc.so.6"}) {
    CAPTURE(no);
    CHECK_FALSE(is_cuda_library_file(no));
  }
  for (const auto& lib : bp::cuda::cuda_libraries()) CHECK(is_cuda_library_file(std::string(lib.stem) + ".so.1"));
}

TEST_CASE("find_duplicates: one soname at two paths, across layers, with the bytes wasted") {
  std::vector<LayerLibraries> layers = {
      {"debian: 40 packages (system libraries)",
       {{"libcudart.so.12", "usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146", 700000},
        {"libcublas.so.12", "usr/lib/x86_64-linux-gnu/libcublas.so.12.0.1", 1000}}},
      {"python: nvidia-cuda-runtime-cu12 12.1.105",
       {{"libcudart.so.12", "opt/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12", 680000}}},
  };
  auto dups = find_duplicates(layers);
  REQUIRE(dups.size() == 1);
  CHECK(dups[0].soname == "libcudart.so.12");
  REQUIRE(dups[0].copies.size() == 2);
  CHECK(dups[0].copies[0] == LibraryCopy{"/usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146",
                                         "debian: 40 packages (system libraries)", 700000});
  CHECK(dups[0].copies[1].source == "python: nvidia-cuda-runtime-cu12 12.1.105");
  CHECK(dups[0].wasted == 680000);
  CHECK(describe(dups[0]) ==
        "libcudart.so.12 is in the image twice: /usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146 (debian: 40 packages "
        "(system libraries)) and /opt/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12 "
        "(python: nvidia-cuda-runtime-cu12 12.1.105): 664.1 KiB wasted");
  auto json = to_json(dups[0]);
  CHECK(json["soname"] == "libcudart.so.12");
  CHECK(json["wasted"] == 680000);
  CHECK(json["copies"].size() == 2);
  CHECK(json["copies"][1]["path"] == "/opt/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12");

  // A later layer's file at the same path replaces the earlier one: one copy, nothing wasted.
  std::vector<LayerLibraries> replaced = {{"a", {{"libnccl.so.2", "opt/lib/libnccl.so.2", 10}}},
                                          {"b", {{"libnccl.so.2", "opt/lib/libnccl.so.2", 12}}}};
  CHECK(find_duplicates(replaced).empty());

  // Three copies, sorted by soname, then layer; the largest copy is the one kept.
  std::vector<LayerLibraries> three = {
      {"a", {{"libz.so.1", "a/libz.so.1", 1}, {"libnccl.so.2", "a/libnccl.so.2", 300}}},
      {"b", {{"libnccl.so.2", "b/x/libnccl.so.2", 200}, {"libnccl.so.2", "b/libnccl.so.2.18", 100}}},
      {"c", {{"libz.so.1", "c/libz.so.1", 2}}},
  };
  auto got = find_duplicates(three);
  REQUIRE(got.size() == 2);
  CHECK(got[0].soname == "libnccl.so.2");
  CHECK(got[0].wasted == 300);
  CHECK(got[0].copies[1].path == "/b/libnccl.so.2.18");
  CHECK(got[1].soname == "libz.so.1");
  CHECK(describe(got[0]) == "libnccl.so.2 is in the image three times: /a/libnccl.so.2 (a), /b/libnccl.so.2.18 (b) "
                            "and /b/x/libnccl.so.2 (b): 300 B wasted");
}

TEST_CASE("libraries round-trip through the key file's JSON, and a broken list is refused") {
  std::vector<SharedLibrary> libs = {{"libcudart.so.12", "usr/lib/libcudart.so.12", 5}};
  CHECK(libraries_from_json(to_json(std::span<const SharedLibrary>(libs))) == libs);
  CHECK_FALSE(libraries_from_json(nlohmann::json::object()).has_value());
  CHECK_FALSE(libraries_from_json(nlohmann::json::parse(R"([{"soname": 1}])")).has_value());
}

TEST_CASE("LibraryScan reads watched files in memory, on disk and streamed, and only those") {
  auto dir = util::TempDir::create().value();
  auto on_disk = dir.path() / "libcublas.so.12.1";
  std::ofstream(on_disk, std::ios::binary) << library("libcublas.so.12", 5000);
  archive::Entry file;
  file.path = "usr/lib/libcublas.so.12.1";
  file.source = on_disk;
  file.size = fs::file_size(on_disk);

  std::vector<archive::Entry> entries = {
      in_memory("opt/a/libcudart.so.12", library("libcudart.so.12", 10)),
      streamed("opt/b/libnccl.so.2", library("libnccl.so.2", 3)),
      in_memory("opt/a/libother.so.1", library("libother.so.1")),   // not watched
      in_memory("opt/a/libcufft.so.11", "not an ELF file at all"),  // watched, but no soname
      file,
  };
  entries.push_back(archive::symlink_entry("opt/a/libcudart.so", "libcudart.so.12"));
  LibraryScan scan([](std::string_view name) { return bp::cuda::is_cuda_library_file(name); });
  scan.prepare(entries);
  util::StringWriter out;
  REQUIRE(archive::write_layer(entries, archive::LayerOptions{archive::Compression::none}, out));
  auto libs = scan.libraries();
  REQUIRE(libs.size() == 3);
  CHECK(libs[0] == SharedLibrary{"libcudart.so.12", "opt/a/libcudart.so.12", library("libcudart.so.12", 10).size()});
  CHECK(libs[1] == SharedLibrary{"libnccl.so.2", "opt/b/libnccl.so.2", library("libnccl.so.2", 3).size()});
  CHECK(libs[2].path == "usr/lib/libcublas.so.12.1");
  CHECK(libs[2].soname == "libcublas.so.12");
}

namespace {

struct Recorder final : Reporter {
  std::vector<std::string> warnings;
  void warning(std::string_view m) override { warnings.emplace_back(m); }
};

struct Build {
  std::vector<std::string> warnings;
  std::vector<DuplicateLibrary> duplicates;
  std::vector<bool> cached;
};

// Two layers as two buildpacks would write them: a Debian-like layer of many packages, written by
// key, and a wheel layer of one package, streamed; then the project's files by content.
Build build(const fs::path& cache_dir, bool wheel_has_cudart = true) {
  image::BlobStore store(cache_dir);
  LayerCache cache{cache_dir / "layers", store};
  Recorder report;
  archive::LayerOptions fixed, created;
  std::map<std::string, double> timings;
  Build out;
  Sink sink(store, cache, report, fixed, created, timings, out.warnings);
  sink.watch(mlpack::buildpacks::cuda::is_cuda_library_file);  // as the cuda buildpack's fact asks

  auto by_key = [&](const std::string& key, std::vector<archive::Entry> entries, std::string contents,
                    std::vector<std::string> packages) {
    auto layer = sink.find(key);
    if (!layer) layer = sink.write(bp::Layer{std::move(entries), std::move(contents)}, bp::FileTimes::fixed, key).value();
    layer->packages = std::move(packages);
    out.cached.push_back(layer->cached);
    sink.add(*layer);
  };
  by_key("deb-1",
         {in_memory("usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146", library("libcudart.so.12", 2000)),
          archive::symlink_entry("usr/lib/x86_64-linux-gnu/libcudart.so.12", "libcudart.so.12.0.146"),
          in_memory("usr/share/doc/libcudart12/copyright", "text")},
         "debian: 2 packages (system libraries)", {"libcudart12 12.0.146~12.0.1-2", "libc6 2.36-9"});
  std::vector<archive::Entry> wheel = {streamed("opt/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12",
                                                library(wheel_has_cudart ? "libcudart.so.12" : "libcudart-x.so.12", 1000))};
  by_key("whl-1", std::move(wheel), "python: 1 package in /opt/venv", {"nvidia-cuda-runtime-cu12 12.1.105"});
  auto app = sink.write_by_content(bp::Layer{{in_memory("app/main.py", "print(1)\n")}, "app: 1 file"}, bp::FileTimes::created);
  REQUIRE(app);
  out.cached.push_back(app->cached);
  sink.add(*app);

  CHECK(sink.take().size() == 3);
  CHECK(report.warnings == out.warnings);
  out.duplicates = sink.duplicates();
  return out;
}

}  // namespace

TEST_CASE("the sink warns of a library twice in the image, cold and warm alike") {
  auto dir = util::TempDir::create().value();
  auto cold = build(dir.path());
  CHECK(cold.cached == std::vector<bool>{false, false, false});
  REQUIRE(cold.warnings.size() == 1);
  auto expected_size = library("libcudart.so.12", 1000).size();
  CHECK(cold.warnings[0] ==
        "libcudart.so.12 is in the image twice: /usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146 (debian: 2 packages "
        "(system libraries)) and /opt/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12 "
        "(python: nvidia-cuda-runtime-cu12 12.1.105): " +
            util::human_bytes(expected_size) + " wasted");
  REQUIRE(cold.duplicates.size() == 1);
  CHECK(cold.duplicates[0].wasted == expected_size);

  // Warm: every layer from the cache (no entry read), the same warning from the key files.
  auto warm = build(dir.path());
  CHECK(warm.cached == std::vector<bool>{true, true, true});
  CHECK(warm.warnings == cold.warnings);
  CHECK(warm.duplicates == cold.duplicates);

  // A key file from before the libraries were recorded is a miss, so the layer is written again
  // and the warning stays.
  auto key = dir.path() / "layers" / "whl-1";
  auto doc = nlohmann::json::parse(util::read_file(key).value());
  doc.erase("libraries");
  REQUIRE(util::write_file_atomic(key, doc.dump()));
  auto upgraded = build(dir.path());
  CHECK(upgraded.cached == std::vector<bool>{true, false, true});
  CHECK(upgraded.warnings == cold.warnings);
}

TEST_CASE("the sink says nothing of one copy, nor of libraries it does not watch") {
  auto dir = util::TempDir::create().value();
  auto one = build(dir.path(), false);
  CHECK(one.warnings.empty());
  CHECK(one.duplicates.empty());

  image::BlobStore store(dir.path());
  LayerCache cache{dir.path() / "layers", store};
  archive::LayerOptions options;
  std::map<std::string, double> timings;
  std::vector<std::string> warnings;
  Sink sink(store, cache, silent_reporter(), options, options, timings, warnings);
  sink.watch({});
  for (int i = 0; i < 2; ++i) {
    auto layer = sink.write(bp::Layer{{in_memory("l" + std::to_string(i) + "/libcudart.so.12", library("libcudart.so.12"))},
                                      "layer " + std::to_string(i)},
                            bp::FileTimes::fixed, "unwatched-" + std::to_string(i));
    REQUIRE(layer);
    sink.add(*layer);
  }
  sink.take();
  CHECK(warnings.empty());
}

TEST_CASE("soname readers stay in bounds on damaged files") {
  // Every byte of the headers, the dynamic array and the strings set to values that make offsets,
  // counts and sizes wrong: a name or none, never a read out of bounds (run under ASan too).
  for (bool is_64 : {true, false}) {
    elf_test::ElfSpec spec;
    spec.is_64 = is_64;
    spec.soname = "libcudart.so.12";
    spec.needed = {"libc.so.6"};
    auto good = elf_test::build_elf(spec);
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (unsigned char v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
        auto bad = good;
        bad[i] = static_cast<char>(v);
        (void)elf::soname_from_head(bad);
        elf::SonameStream stream(good.size() / 2);
        for (std::size_t at = 0; at < bad.size(); at += 13) stream.feed(std::string_view(bad).substr(at, 13));
        (void)stream.soname();
      }
    }
  }
}
