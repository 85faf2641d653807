#pragma once
// Small real images for transport tests: tar layers written with libarchive, gzip-compressed with
// zlib (no archive module needed), a config whose diff_ids match, and a manifest.
#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "oci/transport.hpp"
#include "oci/types.hpp"

namespace test_image {

using namespace mlpack;

inline std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<char> buf(1 << 20);
  std::size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

inline std::string gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("gzip failed");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct Blob {
  oci::Descriptor desc;
  std::string bytes;
};

struct Image {
  std::vector<Blob> blobs;  // config first, then layers
  oci::RawManifest manifest;
  oci::ImageConfig config;
};

// One gzip layer per entry of `layers`, each holding the given files.
inline Image make_image(const std::vector<std::vector<std::pair<std::string, std::string>>>& layers,
                        const std::string& cmd = "hello") {
  Image img;
  oci::Manifest m;
  std::vector<Blob> layer_blobs;
  for (const auto& files : layers) {
    auto tar = make_tar(files);
    auto gz = gzip(tar);
    img.config.diff_ids.push_back(util::Digest::sha256_of(tar));
    oci::Descriptor d{std::string(oci::media::oci_layer_gzip), util::Digest::sha256_of(gz),
                      static_cast<std::int64_t>(gz.size())};
    m.layers.push_back(d);
    layer_blobs.push_back({d, gz});
  }
  img.config.created = "1970-01-01T00:00:00Z";
  img.config.cmd = std::vector<std::string>{"/bin/" + cmd};
  auto config_json = oci::to_json(img.config);
  m.config = {std::string(oci::media::oci_config), util::Digest::sha256_of(config_json),
              static_cast<std::int64_t>(config_json.size())};
  img.blobs.push_back({m.config, config_json});
  for (auto& b : layer_blobs) img.blobs.push_back(std::move(b));
  img.manifest = oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest));
  return img;
}

inline oci::BlobOpener opener(std::string bytes) {
  return [bytes = std::move(bytes)]() -> util::Result<std::unique_ptr<util::Reader>> {
    return std::make_unique<util::StringReader>(bytes);
  };
}

// Writes every blob then commits the manifest, as a copy would.
inline util::Result<void> write_image(oci::ImageDestination& dest, const Image& img) {
  for (const auto& b : img.blobs)
    if (auto r = dest.put_blob(b.desc, opener(b.bytes)); !r) return r;
  return dest.commit(img.manifest);
}

// Reads an image back through a source: the manifest, the config and every layer, verified.
struct ReadBack {
  oci::RawManifest manifest;
  oci::Manifest parsed;
  std::vector<std::string> blobs;  // config, then layers
};

inline util::Result<ReadBack> read_image(oci::ImageSource& src) {
  ReadBack out;
  auto raw = src.get_manifest();
  if (!raw) return std::unexpected(raw.error());
  out.manifest = *raw;
  auto m = oci::parse_manifest(raw->bytes);
  if (!m) return std::unexpected(m.error());
  out.parsed = *m;
  std::vector<oci::Descriptor> all{m->config};
  all.insert(all.end(), m->layers.begin(), m->layers.end());
  for (const auto& d : all) {
    auto r = src.open_blob(d);
    if (!r) return std::unexpected(r.error());
    auto v = oci::verify_reader(std::move(*r), d);
    auto bytes = util::read_all(*v, 64 << 20);
    if (!bytes) return std::unexpected(bytes.error());
    out.blobs.push_back(std::move(*bytes));
  }
  return out;
}

// Runs a command, returning its exit status and stdout+stderr.
inline std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline bool have_skopeo() { return run("command -v skopeo").first == 0; }

}  // namespace test_image
