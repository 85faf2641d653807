#include "sbom/sbom.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "conda/channel_url.hpp"
#include "conda/match_spec.hpp"
#include "pypi/name.hpp"
#include "sbom/license.hpp"
#include "util/url.hpp"

namespace mlpack::sbom {

using json = nlohmann::json;
using util::ErrorKind;

namespace {

constexpr std::string_view noassertion = "NOASSERTION";
constexpr std::string_view anaconda_channels = "https://conda.anaconda.org/";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string host_of(std::string_view url) {
  return util::url_authority(url);
}

// Debian's release codenames and their numbers, for purl's `distro=debian-12`.
std::string debian_distro(std::string_view suite) {
  auto codename = suite.substr(0, suite.find('-'));  // bookworm-updates, bookworm-security
  static const std::map<std::string, std::string, std::less<>> numbers = {
      {"buster", "10"}, {"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"}, {"duke", "15"}};
  if (auto it = numbers.find(codename); it != numbers.end()) return "debian-" + it->second;
  return std::string(codename);
}

const lock::Source* source_for(const lock::LockFile& lock, const lock::Package& p) {
  const lock::Source* fallback = nullptr;
  for (const auto& s : lock.sources) {
    if (s.ecosystem != p.ecosystem) continue;
    if (!fallback) fallback = &s;
    auto trim = [](std::string u) {
      while (!u.empty() && u.back() == '/') u.pop_back();
      return u;
    };
    if (trim(s.url) == trim(p.source)) return &s;
  }
  return fallback;
}

std::string clean_url(const lock::Package& p, std::string url) {
  url = util::strip_userinfo(url);
  if (p.ecosystem == "conda") url = conda::strip_channel_credentials(url);
  return url;
}

std::string extra(const lock::Package& p, const std::string& key) {
  auto it = p.extra.find(key);
  return it == p.extra.end() ? std::string() : it->second;
}

// The name a dependency string names, in the ecosystem's own syntax.
std::vector<std::string> depended_names(const std::string& ecosystem, const std::string& spec) {
  auto leading_name = [](std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() &&
           (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '_' || s[j] == '-' || s[j] == '+'))
      ++j;
    return std::string(s.substr(i, j - i));
  };
  std::vector<std::string> out;
  if (ecosystem == "conda") {
    if (auto m = conda::MatchSpec::parse(spec); m && m->name() != "*")
      out.push_back(m->name());
    else
      out.push_back(leading_name(spec));
  } else if (ecosystem == "deb") {  // `a (>= 1) | b:any`: every alternative the lock holds
    std::string_view rest = spec;
    while (!rest.empty()) {
      auto bar = rest.find('|');
      out.push_back(leading_name(rest.substr(0, bar)));
      rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
    }
  } else {
    out.push_back(leading_name(spec));
  }
  std::erase(out, std::string());
  return out;
}

std::string name_key(const std::string& ecosystem, const std::string& name) {
  if (ecosystem == "pypi") return ecosystem + ":" + pypi::normalize_name(name);
  if (ecosystem == "deb" || ecosystem == "conda") return ecosystem + ":" + lower(name);
  return ecosystem + ":" + name;
}

// pkg:oci/<name>@<digest>?repository_url=<registry/repo>: the repository, without tag or digest.
Purl oci_purl(std::string_view reference, const std::string& digest) {
  std::string ref(reference);
  if (ref.starts_with("docker://")) ref = ref.substr(9);
  if (auto at = ref.find('@'); at != std::string::npos) ref = ref.substr(0, at);
  auto slash = ref.rfind('/');
  if (auto colon = ref.rfind(':'); colon != std::string::npos && (slash == std::string::npos || colon > slash))
    ref = ref.substr(0, colon);
  Purl p;
  p.type = "oci";
  p.name = lower(slash == std::string::npos ? ref : ref.substr(ref.rfind('/') + 1));
  p.version = digest;
  if (ref.find('/') != std::string::npos) p.qualifiers["repository_url"] = ref;
  return p;
}

json properties_array(const std::map<std::string, std::string>& props) {
  json out = json::array();
  for (const auto& [k, v] : props) out.push_back({{"name", k}, {"value", v}});
  return out;
}

// A string member of a JSON object, without a copy (the documents' sorts compare them often).
const std::string& key(const json& object, const char* name) {
  return object.at(name).get_ref<const std::string&>();
}

std::string spdx_id(std::string_view ref) {
  std::string out = "SPDXRef-";
  for (char c : ref) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return out;
}

}  // namespace

std::string_view format_name(Format f) {
  return f == Format::spdx ? "spdx" : "cyclonedx";
}

std::string_view media_type(Format f) {
  return f == Format::spdx ? "application/spdx+json" : "application/vnd.cyclonedx+json";
}

std::optional<Format> format_for_media_type(std::string_view mt) {
  if (mt == media_type(Format::spdx)) return Format::spdx;
  if (mt == media_type(Format::cyclonedx)) return Format::cyclonedx;
  return std::nullopt;
}

Result<Format> parse_format(std::string_view text) {
  if (text == "spdx") return Format::spdx;
  if (text == "cyclonedx") return Format::cyclonedx;
  return util::fail(ErrorKind::invalid_input,
                    "unknown SBOM format `" + std::string(text) + "` (use `spdx` or `cyclonedx`)");
}

Purl package_purl(const lock::Package& p, const lock::LockFile& lock) {
  Purl purl;
  purl.name = p.name;
  purl.version = p.version;
  if (p.ecosystem == "deb") {
    purl.type = "deb";
    bool ubuntu = host_of(p.source).find("ubuntu") != std::string::npos;
    purl.ns = ubuntu ? "ubuntu" : "debian";
    purl.name = lower(p.name);
    if (!p.architecture.empty()) purl.qualifiers["arch"] = p.architecture;
    if (const auto* src = source_for(lock, p); src && !src->suite.empty())
      purl.qualifiers["distro"] = ubuntu ? src->suite.substr(0, src->suite.find('-')) : debian_distro(src->suite);
  } else if (p.ecosystem == "pypi") {
    purl.type = "pypi";
    purl.name = pypi::normalize_name(p.name);
  } else if (p.ecosystem == "conda") {
    purl.type = "conda";
    purl.name = lower(p.name);
    std::string channel = clean_url(p, p.source);
    while (!channel.empty() && channel.back() == '/') channel.pop_back();
    if (channel.starts_with(anaconda_channels)) channel = channel.substr(anaconda_channels.size());
    purl.qualifiers["channel"] = channel;
    purl.qualifiers["build"] = extra(p, "build");
    purl.qualifiers["subdir"] = extra(p, "subdir");
    if (p.filename.ends_with(".conda"))
      purl.qualifiers["type"] = "conda";
    else if (p.filename.ends_with(".tar.bz2"))
      purl.qualifiers["type"] = "tar.bz2";
  } else if (p.ecosystem == "cran") {
    purl.type = "cran";
  } else {
    purl.type = "generic";
    purl.qualifiers["download_url"] = clean_url(p, p.url());
  }
  return purl;
}

Description describe(const lock::LockFile& lock, const ImageFacts& image) {
  Description d;
  d.image = image;
  d.image_purl = oci_purl(image.name, image.digest.str());
  d.image_purl.qualifiers.erase("repository_url");
  {
    auto slash = lock.target.platform.find('/');
    if (slash != std::string::npos) d.image_purl.qualifiers["arch"] = lock.target.platform.substr(slash + 1);
  }

  if (!lock.base_digest.empty()) {
    Component base;
    base.ref = "base:" + lock.base;
    base.ecosystem = "oci";
    base.name = lock.base;
    base.version = lock.base_digest;
    base.purl = oci_purl(lock.base, lock.base_digest);
    if (lock.base_digest.starts_with("sha256:")) base.sha256 = lock.base_digest.substr(7);
    // A base on disk (`oci:DIR:TAG`, an archive) has no repository to name; one in a registry
    // is supplied by that registry.
    bool local = lock.base.starts_with("oci:") || lock.base.starts_with("oci-archive:") ||
                 lock.base.starts_with("docker-archive:");
    if (local) {
      base.purl.name = lower(lock.base.substr(lock.base.rfind('/') + 1));
      base.purl.name = base.purl.name.substr(0, base.purl.name.find(':'));
      base.purl.qualifiers.erase("repository_url");
      base.supplier = lock.base;
    } else {
      base.supplier = util::url_authority("docker://" + base.purl.qualifiers["repository_url"]);
    }
    base.properties["mlpack:role"] = "base";
    d.base = std::move(base);
  }

  std::set<std::string> refs;
  for (const auto& p : lock.packages) {
    Component c;
    c.ecosystem = p.ecosystem;
    c.name = p.name;
    c.version = p.version;
    c.ref = p.ecosystem + ":" + p.name + "@" + p.version;
    if (!p.architecture.empty()) c.ref += ":" + p.architecture;
    if (auto build = extra(p, "build"); !build.empty()) c.ref += ":" + build;
    for (int n = 2; refs.contains(c.ref); ++n) c.ref += "#" + std::to_string(n);
    refs.insert(c.ref);
    c.purl = package_purl(p, lock);
    c.download_url = p.filename.empty() && p.source.empty() ? std::string() : clean_url(p, p.url());
    c.sha256 = lower(p.sha256);
    c.license = extra(p, "license");
    if (c.license.empty())
      if (auto it = image.stated_licenses.find({p.ecosystem, p.name, p.version}); it != image.stated_licenses.end())
        c.license = it->second;
    // Debian's licences are written in its copyright format's syntax, which takes SPDX ids too.
    if (!c.license.empty())
      c.license_expression = p.ecosystem == "deb" ? debian_license_expression(c.license) : spdx_expression(c.license);
    if (p.ecosystem == "deb") {
      auto host = host_of(p.source);
      c.supplier = host.ends_with("debian.org") ? "Debian" : clean_url(p, p.source);
    } else if (p.ecosystem == "pypi" && !extra(p, "index").empty()) {
      c.supplier = clean_url(p, extra(p, "index"));
    } else {
      c.supplier = clean_url(p, p.source);
    }
    c.properties["mlpack:ecosystem"] = p.ecosystem;
    for (const auto* key : {"layer", "installer", "subdir", "noarch"})
      if (auto v = extra(p, key); !v.empty()) c.properties[std::string("mlpack:") + key] = v;
    d.components.push_back(std::move(c));
  }

  // The graph: each depends string to the locked packages of that ecosystem it names.
  std::map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i = 0; i < d.components.size(); ++i)
    by_name[name_key(d.components[i].ecosystem, d.components[i].name)].push_back(i);
  for (std::size_t i = 0; i < lock.packages.size(); ++i) {
    const auto& p = lock.packages[i];
    std::set<std::string> targets;
    for (const auto& spec : p.depends)
      for (const auto& name : depended_names(p.ecosystem, spec))
        if (auto it = by_name.find(name_key(p.ecosystem, name)); it != by_name.end())
          for (auto j : it->second)
            if (j != i) targets.insert(d.components[j].ref);
    d.components[i].depends_on.assign(targets.begin(), targets.end());
  }

  // A registry base image's own packages: in it already, so no URL and no archive hash.
  if (d.base) {
    std::set<std::string> seen;
    for (const auto& bp : image.base_packages) {
      Component c;
      c.ecosystem = "deb";
      c.name = bp.name;
      c.version = bp.version;
      c.ref = "base:deb:" + bp.name + "@" + bp.version + (bp.architecture.empty() ? "" : ":" + bp.architecture);
      if (!seen.insert(c.ref).second) continue;
      c.purl.type = "deb";
      c.purl.ns = lower(image.base_os_id.empty() ? "debian" : image.base_os_id);
      c.purl.name = lower(bp.name);
      c.purl.version = bp.version;
      if (!bp.architecture.empty()) c.purl.qualifiers["arch"] = bp.architecture;
      if (auto colon = image.base_distribution.find(':'); colon != std::string::npos) {
        auto release = image.base_distribution.substr(colon + 1);
        c.purl.qualifiers["distro"] = c.purl.ns == "debian" ? debian_distro(release) : release;
      }
      c.supplier = d.base->name;
      c.properties["mlpack:ecosystem"] = "deb";
      c.properties["mlpack:role"] = "base";
      d.base->depends_on.push_back(c.ref);
      d.components.push_back(std::move(c));
    }
    std::sort(d.base->depends_on.begin(), d.base->depends_on.end());
  }
  std::sort(d.components.begin(), d.components.end(),
            [](const Component& a, const Component& b) { return a.ref < b.ref; });

  // The target, as properties of the image.
  d.properties["mlpack:platform"] = lock.target.platform;
  d.properties["mlpack:cuda"] = lock.target.cuda.value_or("none");
  if (lock.target.python) d.properties["mlpack:python"] = *lock.target.python;
  if (lock.target.glibc) d.properties["mlpack:glibc"] = *lock.target.glibc;
  if (lock.target.r) d.properties["mlpack:r"] = *lock.target.r;
  d.properties["mlpack:base"] = lock.base;
  if (!lock.base_digest.empty()) d.properties["mlpack:base_digest"] = lock.base_digest;
  for (const auto& [k, v] : lock.target.virtual_packages) d.properties["mlpack:conda:virtual:" + k] = v;
  for (const auto& p : lock.packages) {
    if (p.ecosystem == "conda" && p.name == "python") d.properties["mlpack:conda:python"] = p.version;
    if (p.ecosystem == "conda" && p.name == "conda") d.properties["mlpack:conda"] = p.version;
    if ((p.ecosystem == "conda" && p.name == "r-base") || (p.ecosystem == "deb" && p.name == "r-base-core"))
      d.properties["mlpack:r"] = p.version;
  }
  return d;
}

std::string uuid5(std::string_view name) {
  // The URL namespace of RFC 9562 (6ba7b811-9dad-11d1-80b4-00c04fd430c8), then the name.
  static constexpr unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                           0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns, sizeof ns);
  EVP_DigestUpdate(ctx, name.data(), name.size());
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);  // version 5
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);  // the RFC's variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string write_spdx(const Description& d) {
  const std::string creator = "Tool: mlpack-" + d.image.tool_version;
  std::map<std::string, std::string> ids;  // ref → SPDXID, unique after sanitising
  std::set<std::string> used = {"SPDXRef-DOCUMENT", "SPDXRef-Image"};
  auto assign = [&](const Component& c) {
    std::string id = spdx_id(c.ref);
    for (int n = 2; used.contains(id); ++n) id = spdx_id(c.ref) + "-" + std::to_string(n);
    used.insert(id);
    ids[c.ref] = id;
  };
  if (d.base) assign(*d.base);
  for (const auto& c : d.components) assign(c);

  auto package = [&](const Component& c, std::string_view purpose) {
    json p = {{"SPDXID", ids.at(c.ref)},
              {"name", c.name},
              {"versionInfo", c.version},
              {"downloadLocation", c.download_url.empty() ? std::string(noassertion) : c.download_url},
              {"filesAnalyzed", false},
              {"licenseConcluded", noassertion},
              {"copyrightText", noassertion},
              {"primaryPackagePurpose", purpose},
              {"externalRefs", json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                             {"referenceType", "purl"},
                                             {"referenceLocator", c.purl.str()}}})}};
    if (!c.sha256.empty()) p["checksums"] = json::array({{{"algorithm", "SHA256"}, {"checksumValue", c.sha256}}});
    p["supplier"] = c.supplier.empty() ? std::string(noassertion) : "Organization: " + c.supplier;
    if (c.license_expression) {
      p["licenseDeclared"] = *c.license_expression;
    } else {
      p["licenseDeclared"] = noassertion;
      if (!c.license.empty()) p["licenseComments"] = "The package states its licence as: " + c.license;
    }
    std::string comment;
    for (const auto& [k, v] : c.properties) comment += (comment.empty() ? "" : "; ") + k + "=" + v;
    if (!comment.empty()) p["comment"] = comment;
    return p;
  };

  json packages = json::array();
  json image = {{"SPDXID", "SPDXRef-Image"},
                {"name", d.image.name},
                {"versionInfo", d.image.digest.str()},
                {"downloadLocation", noassertion},
                {"filesAnalyzed", false},
                {"licenseConcluded", noassertion},
                {"licenseDeclared", noassertion},
                {"copyrightText", noassertion},
                {"supplier", noassertion},
                {"primaryPackagePurpose", "CONTAINER"},
                {"checksums", json::array({{{"algorithm", "SHA256"}, {"checksumValue", d.image.digest.hex()}}})},
                {"externalRefs", json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                               {"referenceType", "purl"},
                                               {"referenceLocator", d.image_purl.str()}}})}};
  json annotations = json::array();
  for (const auto& [k, v] : d.properties)
    annotations.push_back({{"annotationDate", d.image.created},
                           {"annotationType", "OTHER"},
                           {"annotator", creator},
                           {"comment", k + "=" + v}});
  if (!annotations.empty()) image["annotations"] = annotations;
  packages.push_back(image);
  if (d.base) packages.push_back(package(*d.base, "CONTAINER"));
  for (const auto& c : d.components) packages.push_back(package(c, "LIBRARY"));
  std::sort(packages.begin(), packages.end(), [](const json& a, const json& b) {
    return key(a, "SPDXID") < key(b, "SPDXID");
  });

  std::set<std::tuple<std::string, std::string, std::string>> rels;
  rels.insert({"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"});
  if (d.base) {
    rels.insert({"SPDXRef-Image", "DESCENDANT_OF", ids.at(d.base->ref)});
    for (const auto& own : d.base->depends_on) rels.insert({ids.at(d.base->ref), "CONTAINS", ids.at(own)});
  }
  for (const auto& c : d.components) {
    rels.insert({"SPDXRef-Image", "CONTAINS", ids.at(c.ref)});
    for (const auto& dep : c.depends_on) rels.insert({ids.at(c.ref), "DEPENDS_ON", ids.at(dep)});
  }
  json relationships = json::array();
  for (const auto& [from, type, to] : rels)
    relationships.push_back({{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}});

  json doc = {{"spdxVersion", "SPDX-2.3"},
              {"dataLicense", "CC0-1.0"},
              {"SPDXID", "SPDXRef-DOCUMENT"},
              {"name", d.image.name + "@" + d.image.digest.str()},
              {"documentNamespace", "urn:uuid:" + uuid5("mlpack:sbom:spdx:" + d.image.digest.str())},
              {"creationInfo", {{"created", d.image.created}, {"creators", json::array({creator})}}},
              {"packages", packages},
              {"relationships", relationships}};
  // Text from packages' metadata that is not UTF-8 is replaced (U+FFFD), never a failure.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string write_cyclonedx(const Description& d) {
  auto component = [&](const Component& c, std::string_view type) {
    json j = {{"type", type}, {"bom-ref", c.ref}, {"name", c.name}, {"version", c.version}, {"purl", c.purl.str()}};
    if (!c.sha256.empty()) j["hashes"] = json::array({{{"alg", "SHA-256"}, {"content", c.sha256}}});
    if (c.license_expression)
      j["licenses"] = json::array({{{"expression", *c.license_expression}}});
    else if (!c.license.empty())
      j["licenses"] = json::array({{{"license", {{"name", c.license}}}}});
    if (!c.supplier.empty()) {
      json supplier = {{"name", c.supplier}};
      if (c.supplier.find("://") != std::string::npos) supplier["url"] = json::array({c.supplier});
      j["supplier"] = supplier;
    }
    if (!c.download_url.empty())
      j["externalReferences"] = json::array({{{"type", "distribution"}, {"url", c.download_url}}});
    if (!c.properties.empty()) j["properties"] = properties_array(c.properties);
    return j;
  };

  const std::string image_ref = "image";
  json components = json::array();
  if (d.base) components.push_back(component(*d.base, "container"));
  for (const auto& c : d.components) components.push_back(component(c, "library"));
  std::sort(components.begin(), components.end(), [](const json& a, const json& b) {
    return key(a, "bom-ref") < key(b, "bom-ref");
  });

  // The image depends on what nothing else in it depends on (with no graph: on everything).
  std::set<std::string> depended;
  for (const auto& c : d.components) depended.insert(c.depends_on.begin(), c.depends_on.end());
  if (d.base) depended.insert(d.base->depends_on.begin(), d.base->depends_on.end());
  json roots = json::array();
  if (d.base) roots.push_back(d.base->ref);
  for (const auto& c : d.components)
    if (!depended.contains(c.ref)) roots.push_back(c.ref);
  std::sort(roots.begin(), roots.end());
  json dependencies = json::array({{{"ref", image_ref}, {"dependsOn", roots}}});
  if (d.base) dependencies.push_back({{"ref", d.base->ref}, {"dependsOn", d.base->depends_on}});
  for (const auto& c : d.components) dependencies.push_back({{"ref", c.ref}, {"dependsOn", c.depends_on}});
  std::sort(dependencies.begin(), dependencies.end(),
            [](const json& a, const json& b) { return key(a, "ref") < key(b, "ref"); });

  json image = {
      {"type", "container"},        {"bom-ref", image_ref},
      {"name", d.image.name},       {"version", d.image.digest.str()},
      {"purl", d.image_purl.str()}, {"hashes", json::array({{{"alg", "SHA-256"}, {"content", d.image.digest.hex()}}})}};
  json metadata = {
      {"timestamp", d.image.created},
      {"tools",
       {{"components",
         json::array({{{"type", "application"}, {"name", "mlpack"}, {"version", d.image.tool_version}}})}}},
      {"component", image}};
  if (!d.properties.empty()) metadata["properties"] = properties_array(d.properties);

  json doc = {{"$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json"},
              {"bomFormat", "CycloneDX"},
              {"specVersion", "1.6"},
              {"serialNumber", "urn:uuid:" + uuid5("mlpack:sbom:cyclonedx:" + d.image.digest.str())},
              {"version", 1},
              {"metadata", metadata},
              {"components", components},
              {"dependencies", dependencies}};
  // Text from packages' metadata that is not UTF-8 is replaced (U+FFFD), never a failure.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string write_document(Format format, const Description& d) {
  return format == Format::spdx ? write_spdx(d) : write_cyclonedx(d);
}

Artifact make_artifact(Format format, std::string document, const oci::Descriptor& subject, std::string_view created) {
  auto digest = util::Digest::sha256_of(document);
  return make_artifact(format, std::move(document), digest, subject, created);
}

Artifact make_artifact(Format format, std::string document, const util::Digest& document_digest,
                       const oci::Descriptor& subject, std::string_view created) {
  Artifact a;
  a.format = format;
  a.config.media_type = std::string(oci::media::oci_empty);
  a.config.digest = util::Digest::sha256_of(empty_config);
  a.config.size = static_cast<std::int64_t>(empty_config.size());
  a.layer.media_type = std::string(media_type(format));
  a.layer.digest = document_digest;
  a.layer.size = static_cast<std::int64_t>(document.size());
  a.layer.annotations["org.opencontainers.image.title"] = format == Format::spdx ? "sbom.spdx.json" : "sbom.cdx.json";
  a.document = std::move(document);

  oci::Manifest m;
  m.artifact_type = std::string(media_type(format));
  m.config = a.config;
  m.layers = {a.layer};
  oci::Descriptor s{subject.media_type, subject.digest, subject.size};  // platform, annotations left out
  m.subject = s;
  if (!created.empty()) m.annotations["org.opencontainers.image.created"] = std::string(created);
  a.manifest = oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest));
  return a;
}

}  // namespace mlpack::sbom
