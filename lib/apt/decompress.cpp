#include "apt/decompress.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

namespace mlpack::apt {

using util::ErrorKind;
using util::fail;

Compression compression_of(std::string_view name) {
  if (name.ends_with(".xz")) return Compression::xz;
  if (name.ends_with(".gz")) return Compression::gzip;
  return Compression::none;
}

std::string_view extension(Compression c) {
  switch (c) {
    case Compression::gzip: return ".gz";
    case Compression::xz: return ".xz";
    case Compression::none: break;
  }
  return "";
}

namespace {
struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
}  // namespace

Result<std::uint64_t> decompress_file(const std::filesystem::path& from, Compression c, util::Writer& to,
                                      std::uint64_t limit) {
  std::vector<std::byte> buf(256 << 10);
  std::uint64_t total = 0;
  if (c == Compression::none) {
    auto in = util::FileReader::open(from.string());
    if (!in) return std::unexpected(in.error());
    for (;;) {
      auto n = (*in)->read(buf);
      if (!n) return std::unexpected(n.error());
      if (*n == 0) return total;
      total += *n;
      if (total > limit) return fail(ErrorKind::integrity, "index is larger than " + std::to_string(limit) + " bytes");
      if (auto w = to.write({buf.data(), *n}); !w) return std::unexpected(w.error());
    }
  }
  // libarchive's "raw" format reads a single compressed stream; only the one filter we expect is
  // enabled, so a file that is not what its name says fails instead of being guessed at.
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a) return fail(ErrorKind::internal, "archive_read_new failed");
  if (c == Compression::xz)
    archive_read_support_filter_xz(a.get());
  else
    archive_read_support_filter_gzip(a.get());
  archive_read_support_format_raw(a.get());
  auto what = [&](std::string_view op) {
    const char* msg = archive_error_string(a.get());
    return std::string(op) + " " + from.filename().string() + ": " + (msg ? msg : "corrupt data");
  };
  if (archive_read_open_filename(a.get(), from.c_str(), 64 << 10) != ARCHIVE_OK)
    return fail(ErrorKind::integrity, what("decompressing"));
  // A raw stream that decompresses to nothing has no entry; that is an empty index.
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(a.get(), &entry);
  if (rc == ARCHIVE_EOF) return total;
  if (rc != ARCHIVE_OK) return fail(ErrorKind::integrity, what("decompressing"));
  if (archive_filter_count(a.get()) < 2) return fail(ErrorKind::integrity, from.filename().string() + " is not " +
                                                                          std::string(c == Compression::xz ? "xz" : "gzip") +
                                                                          " data");
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) return fail(ErrorKind::integrity, what("decompressing"));
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > limit)
      return fail(ErrorKind::integrity, from.filename().string() + " decompresses to more than " +
                                            std::to_string(limit) + " bytes");
    if (auto w = to.write({buf.data(), static_cast<std::size_t>(n)}); !w) return std::unexpected(w.error());
  }
  return total;
}

}  // namespace mlpack::apt
