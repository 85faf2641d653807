// The SBOM document cache (lib/sbom/cache.hpp): entries come back only whole and unchanged, and
// the key follows every part of the description a document is written from.
#include "sbom/cache.hpp"

#include <doctest/doctest.h>

#include <functional>

#include "util/fs.hpp"

using namespace mlpack;

namespace {

sbom::Description description() {
  lock::LockFile l;
  l.base = "debian:bookworm";
  l.target.python = "3.11";
  l.sources.push_back({"deb", "http://deb.debian.org/debian", "bookworm", {"main"}, ""});
  lock::Package libc;
  libc.ecosystem = "deb";
  libc.name = "libc6";
  libc.version = "2.36-9+deb12u4";
  libc.architecture = "amd64";
  libc.source = "http://deb.debian.org/debian";
  libc.filename = "pool/main/g/glibc/libc6.deb";
  libc.sha256 = std::string(64, 'a');
  libc.depends = {"libgcc-s1"};
  lock::Package gcc = libc;
  gcc.name = "libgcc-s1";
  gcc.version = "12.2.0-14";
  gcc.sha256 = std::string(64, 'b');
  gcc.depends = {};
  l.packages = {libc, gcc};
  sbom::ImageFacts f{"iris", util::Digest::sha256_of("manifest"), "2024-01-02T03:04:05Z", "0.1.0"};
  return sbom::describe(l, f);
}

std::string entry_path_text(const std::filesystem::path& dir, const util::Digest& key) {
  auto text = util::read_file(dir / key.hex());
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("a stored document reads back whole with its digest, and nothing else does") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "sbom";
  sbom::DocumentCache cache(dir);
  auto d = description();
  auto key = sbom::document_key(sbom::Format::spdx, d, "0.1.0+abc");
  CHECK_FALSE(cache.load(key));  // no entry yet

  auto document = sbom::write_document(sbom::Format::spdx, d);
  auto digest = util::Digest::sha256_of(document);
  REQUIRE(cache.store(key, document, digest));
  auto back = cache.load(key);
  REQUIRE(back);
  CHECK(back->document == document);
  CHECK(back->digest == digest);

  const auto whole = entry_path_text(dir, key);
  auto damaged = [&](const std::string& text) {
    REQUIRE(util::write_file_atomic(dir / key.hex(), text));
    return !cache.load(key).has_value();
  };
  CHECK(damaged(whole.substr(0, whole.size() - 1)));  // cut short
  CHECK(damaged(whole.substr(0, whole.size() / 2)));  // cut in the middle
  CHECK(damaged(whole + " "));                        // something appended
  std::string flipped = whole;
  flipped[flipped.size() - 10] ^= 1;  // one bit of the document, same length
  CHECK(damaged(flipped));
  CHECK(damaged(""));                                                        // empty
  CHECK(damaged("mlpack-sbom-cache 1\n"));                                   // the header alone
  CHECK(damaged("mlpack-sbom-cache 1\nsha256:zz\n{}"));                      // not a digest
  CHECK(damaged("mlpack-sbom-cache 9\n" + digest.str() + "\n" + document));  // another entry format
  // A document with its own (valid) digest is whole and unchanged as far as the cache can tell:
  // the key says what it was written from, the digest that it is what was stored.
  REQUIRE(util::write_file_atomic(dir / key.hex(), whole));
  CHECK(cache.load(key));
}

TEST_CASE("the key follows the format, the writer and every part of the description") {
  const auto d = description();
  const auto key = sbom::document_key(sbom::Format::spdx, d, "0.1.0+abc");
  CHECK(sbom::document_key(sbom::Format::spdx, description(), "0.1.0+abc") == key);  // the same inputs
  CHECK(sbom::document_key(sbom::Format::cyclonedx, d, "0.1.0+abc") != key);
  CHECK(sbom::document_key(sbom::Format::spdx, d, "0.1.0+abd") != key);

  std::vector<std::pair<const char*, std::function<void(sbom::Description&)>>> changes = {
      {"image name", [](auto& x) { x.image.name = "other"; }},
      {"image digest", [](auto& x) { x.image.digest = util::Digest::sha256_of("other"); }},
      {"created", [](auto& x) { x.image.created = "2024-01-02T03:04:06Z"; }},
      {"tool version", [](auto& x) { x.image.tool_version = "0.1.1"; }},
      {"base packages",
       [](auto& x) {
         x.image.base_packages.push_back({"dash", "0.5", "amd64"});
       }},
      {"base os", [](auto& x) { x.image.base_os_id = "ubuntu"; }},
      {"base distribution", [](auto& x) { x.image.base_distribution = "ubuntu:noble"; }},
      {"image purl", [](auto& x) { x.image_purl.qualifiers["arch"] = "arm64"; }},
      {"a base", [](auto& x) { x.base = x.components.front(); }},
      {"properties", [](auto& x) { x.properties["mlpack:cuda"] = "12.1"; }},
      {"a component less", [](auto& x) { x.components.pop_back(); }},
      {"ref", [](auto& x) { x.components[0].ref += "x"; }},
      {"ecosystem", [](auto& x) { x.components[0].ecosystem = "pypi"; }},
      {"name", [](auto& x) { x.components[0].name = "libc7"; }},
      {"version", [](auto& x) { x.components[0].version = "2.37"; }},
      {"purl name", [](auto& x) { x.components[0].purl.name = "libc7"; }},
      {"purl namespace", [](auto& x) { x.components[0].purl.ns = "ubuntu"; }},
      {"purl subpath", [](auto& x) { x.components[0].purl.subpath = "lib"; }},
      {"download url", [](auto& x) { x.components[0].download_url = "http://other.test/libc6.deb"; }},
      {"sha256", [](auto& x) { x.components[0].sha256 = std::string(64, 'c'); }},
      {"licence", [](auto& x) { x.components[0].license = "MIT"; }},
      {"licence expression", [](auto& x) { x.components[0].license_expression = ""; }},
      {"supplier", [](auto& x) { x.components[0].supplier = "Ubuntu"; }},
      {"depends on", [](auto& x) { x.components[0].depends_on.clear(); }},
      {"component properties", [](auto& x) { x.components[0].properties["mlpack:layer"] = "os"; }},
      // Length-prefixed fields: moving a character from one field to the next changes the key.
      {"field boundary",
       [](auto& x) {
         x.components[0].name = "libc";
         x.components[0].version = "6" + x.components[0].version;
       }},
  };
  for (const auto& [what, change] : changes) {
    auto changed = description();
    change(changed);
    CHECK_MESSAGE(sbom::document_key(sbom::Format::spdx, changed, "0.1.0+abc") != key, what);
  }
}

TEST_CASE("the writer's identity is mlpack's version and this program's build") {
  auto id = sbom::writer_identity("1.2.3");
  CHECK(id.starts_with("1.2.3+"));
  CHECK(sbom::writer_identity("1.2.3") == id);
  CHECK(sbom::writer_identity("1.2.4") != id);
}
