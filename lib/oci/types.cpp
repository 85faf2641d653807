#include "oci/types.hpp"

#include <algorithm>
#include <set>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::oci {

using nlohmann::json;
using util::ErrorKind;
using util::fail;

namespace media {
bool is_index(std::string_view media_type) { return media_type == oci_index || media_type == docker_manifest_list; }
bool is_manifest(std::string_view media_type) { return media_type == oci_manifest || media_type == docker_manifest; }
}  // namespace media

// ---------------------------------------------------------------------------------------------
// Platform

namespace {
// Docker and Go spell some architectures differently from what users type; registries use the
// Go names, so those are what we compare.
std::string normalize_arch(std::string_view arch) {
  if (arch == "x86_64" || arch == "x86-64") return "amd64";
  if (arch == "aarch64") return "arm64";
  if (arch == "i386" || arch == "i686") return "386";
  return std::string(arch);
}

// arm64 without a variant means v8, so the two compare equal.
std::string effective_variant(const Platform& p) {
  if (p.architecture == "arm64" && p.variant.empty()) return "v8";
  return p.variant;
}
}  // namespace

Result<Platform> Platform::parse(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool empty_part = std::any_of(parts.begin(), parts.end(), [](const std::string& s) { return s.empty(); });
  if (parts.size() < 2 || parts.size() > 3 || empty_part)
    return fail(ErrorKind::invalid_input,
                "invalid platform `" + std::string(text) + "`: expected `os/architecture[/variant]`, e.g. `linux/amd64`");
  Platform p;
  p.os = util::to_lower(parts[0]);
  p.architecture = normalize_arch(util::to_lower(parts[1]));
  p.variant = parts.size() == 3 ? util::to_lower(parts[2]) : "";
  return p;
}

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

bool Platform::matches(const Platform& entry) const {
  if (os != entry.os || architecture != entry.architecture) return false;
  if (!os_version.empty() && os_version != entry.os_version) return false;
  auto mine = effective_variant(*this), theirs = effective_variant(entry);
  return mine.empty() || theirs.empty() || mine == theirs;
}

// ---------------------------------------------------------------------------------------------
// Serialisation

namespace {
json platform_value(const Platform& p) {
  json j = {{"architecture", p.architecture}, {"os", p.os}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  return j;
}

json string_map(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}
}  // namespace

json to_json_value(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (d.platform) j["platform"] = platform_value(*d.platform);
  if (!d.annotations.empty()) j["annotations"] = string_map(d.annotations);
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

std::string to_json(const Manifest& m) {
  json layers = json::array();
  for (const auto& l : m.layers) layers.push_back(to_json_value(l));
  json j = {{"schemaVersion", 2}, {"mediaType", m.media_type}, {"config", to_json_value(m.config)}, {"layers", layers}};
  if (!m.annotations.empty()) j["annotations"] = string_map(m.annotations);
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  if (m.subject) j["subject"] = to_json_value(*m.subject);
  return j.dump();
}

std::string to_json(const Index& idx) {
  json manifests = json::array();
  for (const auto& d : idx.manifests) manifests.push_back(to_json_value(d));
  json j = {{"schemaVersion", 2}, {"mediaType", idx.media_type}, {"manifests", manifests}};
  if (!idx.annotations.empty()) j["annotations"] = string_map(idx.annotations);
  return j.dump();
}

std::string to_json(const ImageConfig& c) {
  // Start from what we do not model so a base image's fields survive; modelled keys override.
  json j = c.extra.is_object() ? c.extra : json::object();
  json cfg = c.config_extra.is_object() ? c.config_extra : json::object();

  if (!c.user.empty()) cfg["User"] = c.user;
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (c.entrypoint) cfg["Entrypoint"] = *c.entrypoint;
  if (c.cmd) cfg["Cmd"] = *c.cmd;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) cfg["Labels"] = string_map(c.labels);
  if (!c.exposed_ports.empty()) {
    json ports = json::object();
    for (const auto& p : c.exposed_ports) ports[p] = json::object();
    cfg["ExposedPorts"] = ports;
  }
  if (!c.stop_signal.empty()) cfg["StopSignal"] = c.stop_signal;

  if (!c.created.empty()) j["created"] = c.created;
  if (!c.author.empty()) j["author"] = c.author;
  j["architecture"] = c.architecture;
  j["os"] = c.os;
  if (!c.variant.empty()) j["variant"] = c.variant;
  j["config"] = cfg;
  json diff_ids = json::array();
  for (const auto& d : c.diff_ids) diff_ids.push_back(d.str());
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  if (!c.history.empty()) {
    json history = json::array();
    for (const auto& h : c.history) {
      json e = json::object();
      if (!h.created.empty()) e["created"] = h.created;
      if (!h.created_by.empty()) e["created_by"] = h.created_by;
      if (!h.comment.empty()) e["comment"] = h.comment;
      if (h.empty_layer) e["empty_layer"] = true;
      history.push_back(e);
    }
    j["history"] = history;
  }
  return j.dump();
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {
util::Error invalid(std::string message) { return util::Error{ErrorKind::invalid_input, std::move(message)}; }

Result<json> parse_json(std::string_view text, std::string_view what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected(invalid(std::string(what) + " is not valid JSON"));
  if (!j.is_object()) return std::unexpected(invalid(std::string(what) + " must be a JSON object"));
  return j;
}

// Reads an optional string field; null counts as absent (Docker writes nulls).
Result<std::string> opt_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::unexpected(invalid("field `" + std::string(key) + "` must be a string"));
  return it->get<std::string>();
}

Result<std::vector<std::string>> string_array(const json& v, const char* key) {
  if (!v.is_array()) return std::unexpected(invalid("field `" + std::string(key) + "` must be an array of strings"));
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string())
      return std::unexpected(invalid("field `" + std::string(key) + "` must be an array of strings"));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> opt_string_map(const json& obj, const char* key) {
  std::map<std::string, std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object()) return std::unexpected(invalid("field `" + std::string(key) + "` must be an object of strings"));
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return std::unexpected(invalid("field `" + std::string(key) + "." + k + "` must be a string"));
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<Platform> parse_platform(const json& j) {
  if (!j.is_object()) return std::unexpected(invalid("`platform` must be an object"));
  Platform p;
  auto os = opt_string(j, "os");
  auto arch = opt_string(j, "architecture");
  auto variant = opt_string(j, "variant");
  auto os_version = opt_string(j, "os.version");
  for (auto* r : {&os, &arch, &variant, &os_version})
    if (!*r) return std::unexpected(r->error().context("platform"));
  if (os->empty() || arch->empty()) return std::unexpected(invalid("platform: `os` and `architecture` are required"));
  p.os = *os;
  p.architecture = *arch;
  p.variant = *variant;
  p.os_version = *os_version;
  return p;
}

Result<void> check_schema_version(const json& j) {
  auto it = j.find("schemaVersion");
  if (it == j.end()) return std::unexpected(invalid("`schemaVersion` is missing"));
  if (!it->is_number_integer() || it->get<long long>() != 2)
    return std::unexpected(invalid("unsupported `schemaVersion` " + it->dump() + " (only 2 is supported)"));
  return {};
}
}  // namespace

Result<Descriptor> parse_descriptor(const json& j) {
  if (!j.is_object()) return std::unexpected(invalid("descriptor must be an object"));
  Descriptor d;
  auto mt = j.find("mediaType");
  if (mt == j.end() || !mt->is_string() || mt->get<std::string>().empty())
    return std::unexpected(invalid("descriptor: `mediaType` is missing or not a string"));
  d.media_type = mt->get<std::string>();

  auto dg = j.find("digest");
  if (dg == j.end() || !dg->is_string()) return std::unexpected(invalid("descriptor: `digest` is missing or not a string"));
  auto digest = Digest::parse(dg->get<std::string>());
  if (!digest) return std::unexpected(invalid("descriptor: " + digest.error().message));
  d.digest = *digest;

  auto sz = j.find("size");
  if (sz == j.end() || !sz->is_number_integer()) return std::unexpected(invalid("descriptor " + d.digest.short_str() + ": `size` is missing or not an integer"));
  if (sz->get<long long>() < 0) return std::unexpected(invalid("descriptor " + d.digest.short_str() + ": `size` is negative"));
  d.size = sz->get<std::int64_t>();

  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) {
    d.platform = TRY_CONTEXT(parse_platform(*p), "descriptor " + d.digest.short_str());
  }
  d.annotations = TRY_CONTEXT(opt_string_map(j, "annotations"), "descriptor " + d.digest.short_str());
  if (auto u = j.find("urls"); u != j.end() && !u->is_null()) {
    d.urls = TRY_CONTEXT(string_array(*u, "urls"), "descriptor " + d.digest.short_str());
  }
  d.artifact_type = TRY_CONTEXT(opt_string(j, "artifactType"), "descriptor " + d.digest.short_str());
  return d;
}

namespace {

// The descriptors of the array `key`; an error names the item ("layer 2").
Result<std::vector<Descriptor>> descriptor_array(const json& j, const std::string& key, const std::string& item) {
  auto list = j.find(key);
  if (list == j.end() || !list->is_array()) return std::unexpected(invalid("`" + key + "` is missing or not an array"));
  std::vector<Descriptor> out;
  for (std::size_t i = 0; i < list->size(); ++i)
    out.push_back(TRY_CONTEXT(parse_descriptor((*list)[i]), item + " " + std::to_string(i)));
  return out;
}

// A manifest's or index's schemaVersion checked, and its mediaType (optional, "" when absent),
// which `refusal` may refuse: it says what else the type is ("is not an image index"), or "".
Result<std::string> document_media_type(const json& j, std::string (*refusal)(const std::string& media_type)) {
  TRY(check_schema_version(j));
  auto mt = TRY(opt_string(j, "mediaType"));
  if (!mt.empty())
    if (auto why = refusal(mt); !why.empty()) return std::unexpected(invalid("media type `" + mt + "` " + why));
  return mt;
}

Result<Manifest> manifest_from(const json& j) {
  Manifest m;
  auto mt = TRY(document_media_type(j, [](const std::string& t) -> std::string {
    if (media::is_manifest(t)) return "";
    return std::string("is not an image manifest") + (media::is_index(t) ? " (it is an index; select a platform first)" : "");
  }));
  if (!mt.empty()) m.media_type = mt;
  auto cfg = j.find("config");
  if (cfg == j.end()) return std::unexpected(invalid("`config` is missing"));
  m.config = TRY_CONTEXT(parse_descriptor(*cfg), "config");
  m.layers = TRY(descriptor_array(j, "layers", "layer"));
  m.annotations = TRY(opt_string_map(j, "annotations"));
  m.artifact_type = TRY(opt_string(j, "artifactType"));
  if (auto subject = j.find("subject"); subject != j.end()) m.subject = TRY_CONTEXT(parse_descriptor(*subject), "subject");
  return m;
}

Result<Index> index_from(const json& j) {
  Index idx;
  auto mt = TRY(document_media_type(j, [](const std::string& t) -> std::string {
    return media::is_index(t) ? "" : "is not an image index";
  }));
  if (!mt.empty()) idx.media_type = mt;
  idx.manifests = TRY(descriptor_array(j, "manifests", "manifest"));
  idx.annotations = TRY(opt_string_map(j, "annotations"));
  return idx;
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text) {
  auto j = TRY(parse_json(text, "manifest"));
  return TRY_CONTEXT(manifest_from(j), "invalid image manifest");
}

Result<Index> parse_index(std::string_view text) {
  auto j = TRY(parse_json(text, "index"));
  return TRY_CONTEXT(index_from(j), "invalid image index");
}

Result<ImageConfig> parse_config(std::string_view text) {
  auto parsed = TRY(parse_json(text, "image config"));
  json j = std::move(parsed);
  auto wrap = [](util::Error e) { return std::unexpected(std::move(e).context("invalid image config")); };
  ImageConfig c;

  auto arch = opt_string(j, "architecture");
  auto os = opt_string(j, "os");
  auto variant = opt_string(j, "variant");
  auto created = opt_string(j, "created");
  auto author = opt_string(j, "author");
  for (auto* r : {&arch, &os, &variant, &created, &author})
    if (!*r) return wrap(r->error());
  if (arch->empty()) return wrap(invalid("`architecture` is missing"));
  if (os->empty()) return wrap(invalid("`os` is missing"));
  c.architecture = *arch;
  c.os = *os;
  c.variant = *variant;
  c.created = *created;
  c.author = *author;

  if (auto it = j.find("config"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return wrap(invalid("`config` must be an object"));
    json cfg = *it;
    auto in_config = [&](util::Error e) { return wrap(std::move(e).context("config")); };
    auto user = opt_string(cfg, "User");
    auto workdir = opt_string(cfg, "WorkingDir");
    auto stop = opt_string(cfg, "StopSignal");
    for (auto* r : {&user, &workdir, &stop})
      if (!*r) return in_config(r->error());
    c.user = *user;
    c.working_dir = *workdir;
    c.stop_signal = *stop;
    if (auto e = cfg.find("Env"); e != cfg.end() && !e->is_null()) {
      auto env = string_array(*e, "Env");
      if (!env) return in_config(env.error());
      for (const auto& kv : *env)
        if (kv.find('=') == std::string::npos || kv.front() == '=')
          return in_config(invalid("`Env` entry `" + kv + "` is not of the form `KEY=value`"));
      c.env = std::move(*env);
    }
    for (auto [key, dest] : {std::pair{"Entrypoint", &c.entrypoint}, std::pair{"Cmd", &c.cmd}}) {
      if (auto e = cfg.find(key); e != cfg.end() && !e->is_null()) {
        auto v = string_array(*e, key);
        if (!v) return in_config(v.error());
        *dest = std::move(*v);
      }
    }
    auto labels = opt_string_map(cfg, "Labels");
    if (!labels) return in_config(labels.error());
    c.labels = std::move(*labels);
    if (auto e = cfg.find("ExposedPorts"); e != cfg.end() && !e->is_null()) {
      if (!e->is_object()) return in_config(invalid("`ExposedPorts` must be an object"));
      for (const auto& [port, _] : e->items()) c.exposed_ports.push_back(port);
    }
    for (const char* key : {"User", "Env", "Entrypoint", "Cmd", "WorkingDir", "Labels", "ExposedPorts", "StopSignal"})
      cfg.erase(key);
    c.config_extra = std::move(cfg);
  }

  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) return wrap(invalid("`rootfs` is missing or not an object"));
  auto type = opt_string(*rootfs, "type");
  if (!type || *type != "layers") return wrap(invalid("`rootfs.type` must be `layers`"));
  if (auto ids = rootfs->find("diff_ids"); ids != rootfs->end() && !ids->is_null()) {
    auto list = string_array(*ids, "rootfs.diff_ids");
    if (!list) return wrap(list.error());
    for (const auto& s : *list) {
      auto d = Digest::parse(s);
      if (!d) return wrap(invalid("`rootfs.diff_ids`: " + d.error().message));
      c.diff_ids.push_back(*d);
    }
  }

  if (auto h = j.find("history"); h != j.end() && !h->is_null()) {
    if (!h->is_array()) return wrap(invalid("`history` must be an array"));
    for (const auto& e : *h) {
      if (!e.is_object()) return wrap(invalid("`history` entries must be objects"));
      HistoryEntry entry;
      auto cr = opt_string(e, "created");
      auto by = opt_string(e, "created_by");
      auto comment = opt_string(e, "comment");
      for (auto* r : {&cr, &by, &comment})
        if (!*r) return wrap(r->error().context("history"));
      entry.created = *cr;
      entry.created_by = *by;
      entry.comment = *comment;
      if (auto el = e.find("empty_layer"); el != e.end() && !el->is_null()) {
        if (!el->is_boolean()) return wrap(invalid("history: `empty_layer` must be a boolean"));
        entry.empty_layer = el->get<bool>();
      }
      c.history.push_back(std::move(entry));
    }
  }

  for (const char* key : {"architecture", "os", "variant", "created", "author", "config", "rootfs", "history"})
    j.erase(key);
  c.extra = std::move(j);
  return c;
}

std::string detect_media_type(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  if (auto mt = j.find("mediaType"); mt != j.end() && mt->is_string() && !mt->get<std::string>().empty())
    return mt->get<std::string>();
  if (auto v = j.find("schemaVersion"); v != j.end() && *v == 1)
    return "application/vnd.docker.distribution.manifest.v1+json";
  if (j.contains("manifests")) return std::string(media::oci_index);
  if (j.contains("config") && j.contains("layers")) return std::string(media::oci_manifest);
  return {};
}

RawManifest RawManifest::from_bytes(std::string bytes, std::string media_type) {
  RawManifest m;
  m.digest = Digest::sha256_of(bytes);
  m.media_type = media_type.empty() ? detect_media_type(bytes) : std::move(media_type);
  m.bytes = std::move(bytes);
  return m;
}

void ImageConfig::set_env(std::string_view key, std::string_view value) {
  std::string entry = std::string(key) + "=" + std::string(value);
  for (auto& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

// ---------------------------------------------------------------------------------------------
// Platform selection

Result<Descriptor> select_platform(const Index& index, const Platform& want) {
  const Descriptor* best = nullptr;
  for (const auto& d : index.manifests) {
    if (!d.platform || !want.matches(*d.platform)) continue;
    // Prefer an exact variant match over one where either side left the variant out.
    if (!best || (effective_variant(*d.platform) == effective_variant(want) &&
                  effective_variant(*best->platform) != effective_variant(want)))
      best = &d;
  }
  if (best) return *best;

  // An index without any platforms (e.g. an OCI layout holding one image) has one obvious choice.
  bool any_platform = std::any_of(index.manifests.begin(), index.manifests.end(),
                                  [](const Descriptor& d) { return d.platform.has_value(); });
  if (!any_platform && index.manifests.size() == 1) return index.manifests.front();

  std::set<std::string> offered;
  for (const auto& d : index.manifests)
    if (d.platform && d.platform->os != "unknown") offered.insert(d.platform->str());
  std::string list;
  for (const auto& p : offered) list += (list.empty() ? "" : ", ") + p;
  return fail(ErrorKind::not_found, "no image for platform `" + want.str() + "` in the index; available: " +
                                        (list.empty() ? "none" : list));
}

}  // namespace mlpack::oci
