#include "sbom/cache.hpp"

#include <elf.h>
#include <link.h>

#include <cstdint>
#include <cstring>

#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::sbom {

namespace {

constexpr std::string_view entry_magic = "mlpack-sbom-cache 1\n";
constexpr std::size_t max_document = 64 << 20;  // far above any lock's document (~1 KB a package); bounds a bad entry

// The main program's NT_GNU_BUILD_ID note, as hex; "" when it has none.
std::string build_id() {
  std::string out;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto& hex = *static_cast<std::string*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
          const auto* end = p + ph.p_memsz;
          auto align4 = [](std::size_t n) { return (n + 3) & ~std::size_t(3); };
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            ElfW(Nhdr) note;
            std::memcpy(&note, p, sizeof note);
            const auto* name = p + sizeof note;
            const auto* desc = name + align4(note.n_namesz);
            if (desc + note.n_descsz > end) break;
            if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
              hex = util::to_hex(std::as_bytes(std::span(desc, note.n_descsz)));
              return 1;
            }
            p = desc + align4(note.n_descsz);
          }
        }
        return 1;  // the first object is the main program: look no further
      },
      &out);
  return out;
}

// Feeds a description to SHA-256 field by field, each length-prefixed, so no two different
// descriptions give the same stream.
class KeyHasher {
 public:
  void add(std::string_view s) {
    std::uint64_t n = s.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    hash_.update(std::as_bytes(std::span(len)));
    hash_.update(std::as_bytes(std::span(s.data(), s.size())));
  }
  void add(std::size_t n) { add(std::string_view(std::to_string(n))); }
  void add(const std::map<std::string, std::string>& m) {
    add(m.size());
    for (const auto& [k, v] : m) {
      add(k);
      add(v);
    }
  }
  void add(const std::vector<std::string>& v) {
    add(v.size());
    for (const auto& s : v) add(s);
  }
  void add(const Purl& p) {
    add(p.type);
    add(p.ns);
    add(p.name);
    add(p.version);
    add(p.qualifiers);
    add(p.subpath);
  }
  void add(const Component& c) {
    add(c.ref);
    add(c.ecosystem);
    add(c.name);
    add(c.version);
    add(c.purl);
    add(c.download_url);
    add(c.sha256);
    add(c.license);
    add(std::string_view(c.license_expression ? "1" : "0"));
    add(c.license_expression.value_or(""));
    add(c.supplier);
    add(c.depends_on);
    add(c.properties);
  }
  util::Digest finish() { return hash_.finish(); }

 private:
  util::Sha256Writer hash_;
};

}  // namespace

std::string writer_identity(std::string_view version) {
  static const std::string id = build_id();
  return std::string(version) + "+" + id;
}

util::Digest document_key(Format format, const Description& d, std::string_view writer) {
  KeyHasher h;
  h.add(entry_magic);
  h.add(writer);
  h.add(format_name(format));
  const auto& image = d.image;
  h.add(image.name);
  h.add(image.digest.str());
  h.add(image.created);
  h.add(image.tool_version);
  h.add(image.base_packages.size());
  for (const auto& p : image.base_packages) {
    h.add(p.name);
    h.add(p.version);
    h.add(p.architecture);
  }
  h.add(image.base_os_id);
  h.add(image.base_distribution);
  h.add(d.image_purl);
  h.add(std::string_view(d.base ? "1" : "0"));
  if (d.base) h.add(*d.base);
  h.add(d.components.size());
  for (const auto& c : d.components) h.add(c);
  h.add(d.properties);
  return h.finish();
}

std::optional<CachedDocument> DocumentCache::load(const util::Digest& key) const {
  // An entry: the magic line, the document's digest on a line of its own, the document.
  auto text = util::read_file(dir_ / key.hex(), max_document);
  if (!text || !text->starts_with(entry_magic)) return std::nullopt;
  auto nl = text->find('\n', entry_magic.size());
  if (nl == std::string::npos) return std::nullopt;
  auto digest = util::Digest::parse(std::string_view(*text).substr(entry_magic.size(), nl - entry_magic.size()));
  if (!digest || digest->algorithm() != "sha256") return std::nullopt;
  text->erase(0, nl + 1);
  if (util::Digest::sha256_of(*text) != *digest) return std::nullopt;  // cut short or changed
  return CachedDocument{std::move(*text), std::move(*digest)};
}

Result<void> DocumentCache::store(const util::Digest& key, std::string_view document,
                                  const util::Digest& digest) const {
  std::string text(entry_magic);
  text += digest.str();
  text += '\n';
  text += document;
  TRY(util::make_dirs(dir_));
  return util::write_file_atomic(dir_ / key.hex(), text);
}

}  // namespace mlpack::sbom
