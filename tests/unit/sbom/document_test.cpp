#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "sbom/sbom.hpp"

using namespace mlpack;
using json = nlohmann::json;

namespace {

lock::Package package(std::string eco, std::string name, std::string version, std::string source, std::string filename,
                      char hash, std::map<std::string, std::string> extra = {}, std::vector<std::string> depends = {}) {
  lock::Package p;
  p.ecosystem = std::move(eco);
  p.name = std::move(name);
  p.version = std::move(version);
  p.source = std::move(source);
  p.filename = std::move(filename);
  p.sha256 = std::string(64, hash);
  p.extra = std::move(extra);
  p.depends = std::move(depends);
  return p;
}

lock::LockFile sample() {
  lock::LockFile l;
  l.base = "debian:bookworm";
  l.target.python = "3.11";
  l.target.cuda = "12.1";
  l.sources.push_back({"deb", "http://deb.debian.org/debian", "bookworm", {"main"}, ""});
  auto libc = package("deb", "libc6", "2.36-9+deb12u4", "http://deb.debian.org/debian", "pool/main/g/glibc/libc6.deb",
                      'a', {{"layer", "os"}}, {"libgcc-s1", "libcrypt1 (>= 1:4.4.10-10~) | libcrypt-dev"});
  libc.architecture = "amd64";
  auto gcc =
      package("deb", "libgcc-s1", "12.2.0-14", "http://deb.debian.org/debian", "pool/main/g/gcc-12/libgcc-s1.deb", 'b');
  gcc.architecture = "amd64";
  l.packages = {
      libc,
      gcc,
      package("pypi", "Typing_Extensions", "4.12.2", "https://files.test/packages/",
              "typing_extensions-4.12.2-py3-none-any.whl", 'c', {{"index", "https://pypi.test/simple"}}),
      package("conda", "numpy", "1.26.4", "https://conda.anaconda.org/conda-forge",
              "linux-64/numpy-1.26.4-py311h_0.conda", 'd',
              {{"build", "py311h_0"}, {"subdir", "linux-64"}, {"license", "BSD-3-Clause"}},
              {"python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4.0a0", "__glibc >=2.17"}),
      package("conda", "python", "3.11.8", "https://user:secret@conda.test/t/tok123/main",
              "linux-64/python-3.11.8-h_0.tar.bz2", 'e',
              {{"build", "h_0"}, {"subdir", "linux-64"}, {"license", "Python-2.0"}}),
      package("conda", "libblas", "3.9.0", "https://conda.anaconda.org/conda-forge", "linux-64/libblas-3.9.0-1_h.conda",
              'f', {{"build", "1_h"}, {"subdir", "linux-64"}, {"license", "BSD"}}),
      package("cran", "data.table", "1.14.8", "https://cran.test/bin", "data.table_1.14.8.tar.gz", '1',
              {{"license", "MPL-2.0 | file LICENSE"}})};
  return l;
}

sbom::ImageFacts facts() {
  return {"iris", util::Digest::sha256_of("manifest"), "2024-01-02T03:04:05Z", "0.1.0"};
}

}  // namespace

TEST_CASE("every locked package appears once with its purl, URL, hash, licence and supplier") {
  auto d = sbom::describe(sample(), facts());
  REQUIRE(d.components.size() == 7);
  std::map<std::string, const sbom::Component*> by_name;
  for (const auto& c : d.components) by_name[c.name] = &c;
  CHECK(by_name.at("libc6")->purl.str() == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
  CHECK(by_name.at("libc6")->supplier == "Debian");
  CHECK(by_name.at("Typing_Extensions")->purl.str() == "pkg:pypi/typing-extensions@4.12.2");
  CHECK(by_name.at("Typing_Extensions")->supplier == "https://pypi.test/simple");
  CHECK(by_name.at("Typing_Extensions")->download_url ==
        "https://files.test/packages/typing_extensions-4.12.2-py3-none-any.whl");
  CHECK(by_name.at("numpy")->purl.str() ==
        "pkg:conda/numpy@1.26.4?build=py311h_0&channel=conda-forge&subdir=linux-64&type=conda");
  // Credentials and anaconda.org-style tokens never reach the SBOM.
  const auto* python = by_name.at("python");
  CHECK(python->download_url == "https://conda.test/main/linux-64/python-3.11.8-h_0.tar.bz2");
  CHECK(python->purl.str().find("secret") == std::string::npos);
  CHECK(python->purl.str().find("tok123") == std::string::npos);
  CHECK(python->supplier == "https://conda.test/main");
  CHECK(by_name.at("data.table")->purl.str() == "pkg:cran/data.table@1.14.8");
  CHECK(by_name.at("numpy")->sha256 == std::string(64, 'd'));
  CHECK(by_name.at("numpy")->license_expression == "BSD-3-Clause");
  CHECK(!by_name.at("libblas")->license_expression);
  CHECK(by_name.at("libblas")->license == "BSD");
}

TEST_CASE("the graph follows the lock's depends to the packages it names") {
  auto d = sbom::describe(sample(), facts());
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& c : d.components) deps[c.name] = c.depends_on;
  // conda MatchSpecs: the name, never a virtual package the lock does not hold.
  CHECK(deps["numpy"] == std::vector<std::string>{"conda:libblas@3.9.0:1_h", "conda:python@3.11.8:h_0"});
  // Debian relations: each alternative the lock holds.
  CHECK(deps["libc6"] == std::vector<std::string>{"deb:libgcc-s1@12.2.0-14:amd64"});
  CHECK(deps["python"].empty());
  CHECK(d.properties.at("mlpack:cuda") == "12.1");
  CHECK(d.properties.at("mlpack:python") == "3.11");
  CHECK(d.properties.at("mlpack:conda:python") == "3.11.8");
}

TEST_CASE("SPDX: packages, checksums, licences, relationships") {
  auto doc = json::parse(sbom::write_spdx(sbom::describe(sample(), facts())));
  CHECK(doc["spdxVersion"] == "SPDX-2.3");
  CHECK(doc["creationInfo"]["created"] == "2024-01-02T03:04:05Z");
  CHECK(doc["documentNamespace"].get<std::string>().starts_with("urn:uuid:"));
  REQUIRE(doc["packages"].size() == 8);  // the image and seven packages
  std::set<std::string> ids;
  std::map<std::string, json> by_name;
  for (const auto& p : doc["packages"]) {
    CHECK(ids.insert(p["SPDXID"].get<std::string>()).second);
    CHECK(sbom::parse_purl(p["externalRefs"][0]["referenceLocator"].get<std::string>()));
    by_name[p["name"]] = p;
  }
  CHECK(by_name["numpy"]["licenseDeclared"] == "BSD-3-Clause");
  CHECK(by_name["libblas"]["licenseDeclared"] == "NOASSERTION");
  CHECK(by_name["libblas"]["licenseComments"].get<std::string>().ends_with(": BSD"));
  CHECK(by_name["data.table"]["licenseDeclared"] == "NOASSERTION");
  CHECK(by_name["numpy"]["checksums"][0] == json{{"algorithm", "SHA256"}, {"checksumValue", std::string(64, 'd')}});
  CHECK(by_name["libc6"]["supplier"] == "Organization: Debian");
  int contains = 0, depends = 0;
  for (const auto& r : doc["relationships"]) {
    if (r["relationshipType"] == "CONTAINS") {
      CHECK(r["spdxElementId"] == "SPDXRef-Image");
      ++contains;
    }
    if (r["relationshipType"] == "DEPENDS_ON") ++depends;
  }
  CHECK(contains == 7);
  CHECK(depends == 3);
  bool cuda = false;
  for (const auto& a : by_name["iris"]["annotations"]) cuda = cuda || a["comment"] == "mlpack:cuda=12.1";
  CHECK(cuda);
}

TEST_CASE("CycloneDX: components, hashes, licences, dependencies") {
  auto doc = json::parse(sbom::write_cyclonedx(sbom::describe(sample(), facts())));
  CHECK(doc["specVersion"] == "1.6");
  CHECK(doc["metadata"]["timestamp"] == "2024-01-02T03:04:05Z");
  CHECK(doc["metadata"]["component"]["purl"].get<std::string>().starts_with("pkg:oci/iris@sha256:"));
  REQUIRE(doc["components"].size() == 7);
  std::map<std::string, json> by_name;
  for (const auto& c : doc["components"]) by_name[c["name"]] = c;
  CHECK(by_name["numpy"]["licenses"] == json::array({{{"expression", "BSD-3-Clause"}}}));
  CHECK(by_name["libblas"]["licenses"] == json::array({{{"license", {{"name", "BSD"}}}}}));
  CHECK(!by_name["libgcc-s1"].contains("licenses"));
  CHECK(by_name["numpy"]["hashes"][0]["alg"] == "SHA-256");
  std::map<std::string, json> deps;
  for (const auto& dep : doc["dependencies"]) deps[dep["ref"]] = dep["dependsOn"];
  CHECK(deps.size() == 8);
  // The image depends on what nothing else depends on.
  auto roots = deps["image"];
  CHECK(std::find(roots.begin(), roots.end(), "conda:numpy@1.26.4:py311h_0") != roots.end());
  CHECK(std::find(roots.begin(), roots.end(), "conda:python@3.11.8:h_0") == roots.end());
}

TEST_CASE("the same lock and image give the same bytes, whatever the lock's order") {
  auto lock = sample();
  auto spdx = sbom::write_spdx(sbom::describe(lock, facts()));
  auto cdx = sbom::write_cyclonedx(sbom::describe(lock, facts()));
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(lock.packages.begin(), lock.packages.end(), rng);
    CHECK(sbom::write_spdx(sbom::describe(lock, facts())) == spdx);
    CHECK(sbom::write_cyclonedx(sbom::describe(lock, facts())) == cdx);
  }
  // Another image gives another namespace and serial number.
  auto other = facts();
  other.digest = util::Digest::sha256_of("other");
  CHECK(json::parse(sbom::write_spdx(sbom::describe(lock, other)))["documentNamespace"] !=
        json::parse(spdx)["documentNamespace"]);
}

TEST_CASE("uuid5 is RFC 9562's name-based UUID") {
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://www.example.com/")
  CHECK(sbom::uuid5("http://www.example.com/") == "fcde3c85-2270-590f-9e7c-ee003d65e0e2");
}

TEST_CASE("an SBOM artifact: empty config, the document as its layer, the image as subject") {
  oci::Descriptor subject{std::string(oci::media::oci_manifest), util::Digest::sha256_of("m"), 123};
  auto a = sbom::make_artifact(sbom::Format::cyclonedx, "{\"x\":1}", subject, "2024-01-02T03:04:05Z");
  auto m = oci::parse_manifest(a.manifest.bytes);
  REQUIRE(m);
  CHECK(m->artifact_type == "application/vnd.cyclonedx+json");
  CHECK(m->config.media_type == "application/vnd.oci.empty.v1+json");
  CHECK(m->config.digest == util::Digest::sha256_of("{}"));
  REQUIRE(m->layers.size() == 1);
  CHECK(m->layers[0].digest == util::Digest::sha256_of("{\"x\":1}"));
  REQUIRE(m->subject);
  CHECK(m->subject->digest == subject.digest);
  CHECK(m->subject->size == 123);
}

TEST_CASE("a registry base: by digest, with its own packages marked as the base's") {
  auto lock = sample();
  lock.base = "registry.test/team/base:1";
  lock.base_digest = util::Digest::sha256_of("base").str();
  auto image = facts();
  image.base_packages = {{"libssl3", "3.0.11-1~deb12u2", "amd64"}, {"tzdata", "2024a-0+deb12u1", "all"}};
  image.base_os_id = "debian";
  image.base_distribution = "debian:bookworm";
  auto d = sbom::describe(lock, image);
  REQUIRE(d.base);
  CHECK(d.base->purl.str() == "pkg:oci/base@" + lock.base_digest + "?repository_url=registry.test%2Fteam%2Fbase");
  CHECK(d.base->depends_on ==
        std::vector<std::string>{"base:deb:libssl3@3.0.11-1~deb12u2:amd64", "base:deb:tzdata@2024a-0+deb12u1:all"});
  REQUIRE(d.components.size() == 9);

  auto doc = json::parse(sbom::write_spdx(d));
  std::map<std::string, json> by_name;
  for (const auto& p : doc["packages"]) by_name[p["name"]] = p;
  CHECK(by_name["libssl3"]["externalRefs"][0]["referenceLocator"] ==
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
  CHECK(by_name["libssl3"]["downloadLocation"] == "NOASSERTION");
  CHECK(!by_name["libssl3"].contains("checksums"));
  CHECK(by_name["libssl3"]["supplier"] == "Organization: registry.test/team/base:1");
  std::set<std::tuple<std::string, std::string, std::string>> rels;
  for (const auto& r : doc["relationships"])
    rels.insert({r["spdxElementId"].get<std::string>(), r["relationshipType"].get<std::string>(),
                 r["relatedSpdxElement"].get<std::string>()});
  auto base_id = by_name["registry.test/team/base:1"]["SPDXID"].get<std::string>();
  auto ssl_id = by_name["libssl3"]["SPDXID"].get<std::string>();
  CHECK(rels.contains({"SPDXRef-Image", "DESCENDANT_OF", base_id}));
  CHECK(rels.contains({base_id, "CONTAINS", ssl_id}));
  CHECK(rels.contains({"SPDXRef-Image", "CONTAINS", ssl_id}));

  auto cdx = json::parse(sbom::write_cyclonedx(d));
  for (const auto& dep : cdx["dependencies"]) {
    if (dep["ref"] == "image") {
      auto roots = dep["dependsOn"];
      CHECK(std::find(roots.begin(), roots.end(), "base:" + lock.base) != roots.end());
      CHECK(std::find(roots.begin(), roots.end(), "base:deb:libssl3@3.0.11-1~deb12u2:amd64") == roots.end());
    }
  }
}

TEST_CASE("Debian packages' licences from their copyright files, mapped or kept as text") {
  auto f = facts();
  f.stated_licenses[{"deb", "libc6", "2.36-9+deb12u4"}] = "GPL-2+ or Artistic-2.0, and BSD-3-clause";
  f.stated_licenses[{"deb", "libgcc-s1", "12.2.0-14"}] = "GPL-3+ with GCC-Runtime-Library exception";
  f.stated_licenses[{"deb", "libgcc-s1", "0-other-version"}] = "MIT";       // not the locked version
  f.stated_licenses[{"conda", "numpy", "1.26.4"}] = "GPL-3.0-only";         // the lock's own licence wins
  auto d = sbom::describe(sample(), f);
  std::map<std::string, const sbom::Component*> by_name;
  for (const auto& c : d.components) by_name[c.name] = &c;
  CHECK(by_name["libc6"]->license_expression == "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause");
  CHECK(by_name["libgcc-s1"]->license == "GPL-3+ with GCC-Runtime-Library exception");
  CHECK(!by_name["libgcc-s1"]->license_expression);
  CHECK(by_name["numpy"]->license_expression == "BSD-3-Clause");

  auto spdx = json::parse(sbom::write_spdx(d));
  std::map<std::string, json> pkgs;
  for (const auto& p : spdx["packages"]) pkgs[p["name"].get<std::string>()] = p;
  CHECK(pkgs["libc6"]["licenseDeclared"] == "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause");
  CHECK(pkgs["libc6"]["licenseConcluded"] == "NOASSERTION");  // nothing was analysed
  CHECK(pkgs["libgcc-s1"]["licenseDeclared"] == "NOASSERTION");
  CHECK(pkgs["libgcc-s1"]["licenseComments"].get<std::string>().ends_with(": GPL-3+ with GCC-Runtime-Library exception"));
  auto cdx = json::parse(sbom::write_cyclonedx(d));
  for (const auto& c : cdx["components"])
    if (c["name"] == "libgcc-s1") CHECK(c["licenses"][0]["license"]["name"] == "GPL-3+ with GCC-Runtime-Library exception");
  // Without the copyright facts, as before: no licence.
  auto plain = sbom::describe(sample(), facts());
  for (const auto& c : plain.components)
    if (c.ecosystem == "deb") CHECK(c.license.empty());
}
