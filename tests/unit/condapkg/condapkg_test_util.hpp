#pragma once
// Hand-made conda packages for the condapkg tests: tars written header by header (so a test can
// put in what no honest tool writes), zstd-compressed, zipped as CEP 35 says.
#include <doctest/doctest.h>
#include <zstd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "archive/layer.hpp"
#include "archive/tar_header.hpp"
#include "archive/zip_builder.hpp"
#include "condapkg/condapkg.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"

namespace condapkg_test {

namespace fs = std::filesystem;
using namespace mlpack;

struct TarMember {
  std::string name;
  std::string content;
  char type = '0';  // '0' file, '1' hardlink, '2' symlink, '3' char device, '5' directory
  std::uint32_t mode = 0644;
  std::string link;
  std::optional<std::uint64_t> size;  // a header that lies about the size
};

inline std::string tar_of(const std::vector<TarMember>& members) {
  std::string out;
  for (const auto& m : members) {
    archive::detail::TarHeader h{m.name, m.type, m.mode, m.size.value_or(m.content.size()), 0, m.link};
    out += archive::detail::encode_tar_header(h);
    out += m.content;
    out.append(archive::detail::tar_padding(m.content.size()), '\0');
  }
  return out + std::string(1024, '\0');
}

inline std::string zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  auto n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

inline std::string sha256(const std::string& s) {
  return util::Digest::sha256_of(s).hex();
}

// A package description: files by path, and what info/ says about them.
struct Spec {
  std::string name = "demo";
  std::string version = "1.0";
  std::string build = "h0_0";
  std::string noarch;  // "", "generic", "python"
  std::vector<TarMember> payload;
  // paths.json entries: made from the payload's files and symlinks unless given.
  std::optional<nlohmann::json> paths;
  std::map<std::string, nlohmann::json> path_extra;  // extra keys for one path's entry
  std::optional<std::string> link_json;
  std::vector<zip_test::RawMember> extra_zip_members;
};

inline nlohmann::json paths_json(const Spec& s) {
  if (s.paths) return *s.paths;
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& m : s.payload) {
    nlohmann::json p = {{"_path", m.name}};
    if (m.type == '2')
      p["path_type"] = "softlink";
    else if (m.type == '5')
      continue;
    else
      p.update({{"path_type", "hardlink"}, {"sha256", sha256(m.content)}, {"size_in_bytes", m.content.size()}});
    if (auto it = s.path_extra.find(m.name); it != s.path_extra.end()) p.update(it->second);
    paths.push_back(p);
  }
  return {{"paths", paths}, {"paths_version", 1}};
}

inline std::string index_json(const Spec& s) {
  nlohmann::json j = {{"name", s.name},
                      {"version", s.version},
                      {"build", s.build},
                      {"build_number", 0},
                      {"depends", nlohmann::json::array()},
                      {"subdir", s.noarch.empty() ? "linux-64" : "noarch"}};
  if (!s.noarch.empty()) j["noarch"] = s.noarch;
  return j.dump();
}

inline std::string stem(const Spec& s) {
  return s.name + "-" + s.version + "-" + s.build;
}

inline std::string make_conda(const Spec& s) {
  std::vector<TarMember> info = {{"info/index.json", index_json(s)}, {"info/paths.json", paths_json(s).dump()}};
  if (s.link_json) info.push_back({"info/link.json", *s.link_json});
  std::vector<zip_test::RawMember> members = {
      {"metadata.json", R"({"conda_pkg_format_version": 2})", 0},
      {"info-" + stem(s) + ".tar.zst", zstd(tar_of(info)), 0},
      {"pkg-" + stem(s) + ".tar.zst", zstd(tar_of(s.payload)), 0},
  };
  for (const auto& m : s.extra_zip_members) members.push_back(m);
  return zip_test::build_zip(members);
}

// The package written into `dir`, and the lock's view of it.
struct Made {
  fs::path file;
  condapkg::PackageRef ref;
};

inline Made write_package(const fs::path& dir, const Spec& s, const std::string& bytes) {
  Made m;
  m.file = dir / (stem(s) + ".conda");
  std::ofstream(m.file, std::ios::binary) << bytes;
  m.ref.name = s.name;
  m.ref.version = s.version;
  m.ref.build = s.build;
  m.ref.filename = stem(s) + ".conda";
  m.ref.sha256 = sha256(bytes);
  m.ref.size = bytes.size();
  m.ref.channel = "https://example.test/chan";
  m.ref.url = m.ref.channel + "/linux-64/" + m.ref.filename;
  return m;
}

inline Made write_package(const fs::path& dir, const Spec& s) {
  return write_package(dir, s, make_conda(s));
}

inline util::TempDir temp_dir() {
  auto d = util::TempDir::create();
  REQUIRE(d);
  return std::move(*d);
}

// An entry's content, read as the layer writer reads it.
inline std::string content_of(const archive::Entry& e) {
  if (e.open) {
    auto r = e.open();
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    auto all = util::read_all(**r, 1ULL << 30);
    REQUIRE_MESSAGE(all, (all ? "" : all.error().message));
    return *all;
  }
  return e.data;
}

inline const archive::Entry* find(const std::vector<archive::Entry>& entries, std::string_view path) {
  for (const auto& e : entries)
    if (e.path == path) return &e;
  return nullptr;
}

}  // namespace condapkg_test
