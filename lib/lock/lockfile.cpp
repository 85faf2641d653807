#include "lock/lockfile.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <tuple>

#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::lock {

using util::ErrorKind;

std::string Package::url() const {
  if (source.empty()) return filename;
  return source.back() == '/' ? source + filename : source + "/" + filename;
}

void LockFile::normalize() {
  std::sort(packages.begin(), packages.end(), [](const Package& a, const Package& b) {
    return std::tie(a.ecosystem, a.name, a.architecture, a.version) <
           std::tie(b.ecosystem, b.name, b.architecture, b.version);
  });
  std::sort(sources.begin(), sources.end(), [](const Source& a, const Source& b) {
    return std::tie(a.ecosystem, a.url, a.suite) < std::tie(b.ecosystem, b.url, b.suite);
  });
}

namespace {

util::Error yaml_error(std::string_view source, const YAML::Mark& mark, const std::string& what) {
  std::string where(source);
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  return util::Error{ErrorKind::invalid_input, where + ": " + what};
}

// Reads a scalar field; missing optional fields give `fallback`.
Result<std::string> scalar(const YAML::Node& map, const char* key, std::string_view source, bool required) {
  YAML::Node n = map[key];
  if (!n) {
    if (required) return std::unexpected(yaml_error(source, map.Mark(), std::string("missing `") + key + "`"));
    return std::string();
  }
  if (n.IsNull()) return std::string();
  if (!n.IsScalar()) return std::unexpected(yaml_error(source, n.Mark(), std::string("`") + key + "` must be a string"));
  return n.as<std::string>();
}

// A scalar field of a mapping and the member it fills, read in table order (so the first missing
// required field is the one reported).
template <class T>
struct StringField {
  const char* key;
  std::string T::*member;
  bool required;
};

template <class T, std::size_t N>
Result<void> read_strings(const YAML::Node& map, std::string_view source, T& out, const StringField<T> (&fields)[N]) {
  for (const auto& f : fields) out.*f.member = TRY(scalar(map, f.key, source, f.required));
  return {};
}

// The string-to-string mapping `key` of `map`, if present, into `out`.
Result<void> read_string_map(const YAML::Node& map, const char* key, std::string_view source,
                             std::map<std::string, std::string>& out) {
  auto node = map[key];
  if (!node) return {};
  if (!node.IsMap()) return std::unexpected(yaml_error(source, node.Mark(), std::string("`") + key + "` must be a mapping"));
  for (const auto& kv : node) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return {};
}

// The list of strings `key` of `map` (none when absent).
Result<std::vector<std::string>> read_strings_list(const YAML::Node& map, const char* key, std::string_view source) {
  std::vector<std::string> out;
  auto node = map[key];
  if (!node) return out;
  if (!node.IsSequence()) return std::unexpected(yaml_error(source, node.Mark(), std::string("`") + key + "` must be a list"));
  for (const auto& item : node) {
    if (!item.IsScalar()) return std::unexpected(yaml_error(source, item.Mark(), std::string("each of `") + key + "` must be a string"));
    out.push_back(item.Scalar());
  }
  return out;
}

// The list `key` of `root` (none when absent), each item a mapping that `read` turns into a T;
// `item` names one in errors ("each <item> must be a mapping").
template <class T, class Read>
Result<std::vector<T>> read_list(const YAML::Node& root, const char* key, const char* item, std::string_view source,
                                 Read read) {
  std::vector<T> out;
  auto list = root[key];
  if (!list) return out;
  if (!list.IsSequence()) return std::unexpected(yaml_error(source, list.Mark(), std::string("`") + key + "` must be a list"));
  for (const auto& node : list) {
    if (!node.IsMap())
      return std::unexpected(yaml_error(source, node.Mark(), std::string("each ") + item + " must be a mapping"));
    out.push_back(TRY(read(node)));
  }
  return out;
}

// Optional fields are left out rather than written empty.
void emit_unless_empty(YAML::Emitter& out, const char* key, const std::string& value) {
  if (!value.empty()) out << YAML::Key << key << YAML::Value << value;
}

void emit_unless_empty(YAML::Emitter& out, const char* key, const std::vector<std::string>& list) {
  if (list.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& item : list) out << YAML::DoubleQuoted << item;
  out << YAML::EndSeq;
}

void emit_unless_empty(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& map) {
  if (map.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : map) out << YAML::Key << k << YAML::Value << v;
  out << YAML::EndMap;
}

}  // namespace

Result<LockFile> parse(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return std::unexpected(yaml_error(source, e.mark, e.msg));
  }
  if (!root.IsMap()) return std::unexpected(yaml_error(source, root.Mark(), "expected a mapping at the top level"));
  LockFile lock;
  try {
    auto version = root["version"];
    if (!version) return std::unexpected(yaml_error(source, root.Mark(), "missing `version`"));
    int v = 0;
    if (!YAML::convert<int>::decode(version, v))
      return std::unexpected(yaml_error(source, version.Mark(), "`version` must be an integer"));
    if (v != current_version)
      return std::unexpected(yaml_error(source, version.Mark(),
                                        "unsupported lock version " + std::to_string(v) + " (this mlpack reads version " +
                                            std::to_string(current_version) + ")"));
    lock.version = v;

    if (auto t = root["target"]) {
      if (!t.IsMap()) return std::unexpected(yaml_error(source, t.Mark(), "`target` must be a mapping"));
      lock.target.platform = TRY(scalar(t, "platform", source, true));
      auto python = TRY(scalar(t, "python", source, false));
      auto cuda = TRY(scalar(t, "cuda", source, false));
      auto glibc = TRY(scalar(t, "glibc", source, false));
      auto r = TRY(scalar(t, "r", source, false));
      if (!r.empty()) lock.target.r = r;
      if (!python.empty()) lock.target.python = python;
      if (!cuda.empty()) lock.target.cuda = cuda;
      if (!glibc.empty()) lock.target.glibc = glibc;
      TRY(read_string_map(t, "virtual_packages", source, lock.target.virtual_packages));
    }
    lock.base = TRY(scalar(root, "base", source, false));
    lock.base_digest = TRY(scalar(root, "base_digest", source, false));
    lock.inputs_digest = TRY(scalar(root, "inputs", source, false));
    TRY(read_string_map(root, "input_parts", source, lock.input_parts));

    auto read_source = [&](const YAML::Node& s) -> Result<Source> {
      static constexpr StringField<Source> kFields[] = {
          {"ecosystem", &Source::ecosystem, true},
          {"url", &Source::url, true},
          {"suite", &Source::suite, false},
          {"snapshot", &Source::snapshot, false},
      };
      Source src;
      TRY(read_strings(s, source, src, kFields));
      if (auto c = s["components"]) {
        if (!c.IsSequence()) return std::unexpected(yaml_error(source, c.Mark(), "`components` must be a list"));
        for (const auto& comp : c) src.components.push_back(comp.as<std::string>());
      }
      return src;
    };
    auto read_package = [&](const YAML::Node& p) -> Result<Package> {
      static constexpr StringField<Package> kFields[] = {
          {"ecosystem", &Package::ecosystem, true},   {"name", &Package::name, true},
          {"version", &Package::version, true},       {"architecture", &Package::architecture, false},
          {"source", &Package::source, false},        {"filename", &Package::filename, false},
          {"sha256", &Package::sha256, true},
      };
      Package pkg;
      TRY(read_strings(p, source, pkg, kFields));
      auto size = TRY(scalar(p, "size", source, false));
      if (!size.empty()) {
        if (size.find_first_not_of("0123456789") != std::string::npos)
          return std::unexpected(yaml_error(source, p["size"].Mark(), "`size` must be a whole number"));
        pkg.size = std::stoull(size);
      }
      if (pkg.sha256.size() != 64 || pkg.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
        return std::unexpected(yaml_error(source, p["sha256"].Mark(), "`sha256` of `" + pkg.name + "` is not 64 hex digits"));
      TRY(read_string_map(p, "extra", source, pkg.extra));
      pkg.depends = TRY(read_strings_list(p, "depends", source));
      pkg.constrains = TRY(read_strings_list(p, "constrains", source));
      return pkg;
    };
    lock.sources = TRY(read_list<Source>(root, "sources", "source", source, read_source));
    lock.packages = TRY(read_list<Package>(root, "packages", "package", source, read_package));
  } catch (const YAML::Exception& e) {
    return std::unexpected(yaml_error(source, e.mark, e.msg));
  }
  return lock;
}

std::string emit(const LockFile& input) {
  LockFile lock = input;
  lock.normalize();
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << lock.version;
  out << YAML::Key << "target" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "platform" << YAML::Value << lock.target.platform;
  out << YAML::Key << "python" << YAML::Value;
  if (lock.target.python) out << YAML::DoubleQuoted << *lock.target.python; else out << YAML::Null;
  out << YAML::Key << "cuda" << YAML::Value;
  if (lock.target.cuda) out << YAML::DoubleQuoted << *lock.target.cuda; else out << YAML::Null;
  if (lock.target.glibc) out << YAML::Key << "glibc" << YAML::Value << YAML::DoubleQuoted << *lock.target.glibc;
  if (lock.target.r) out << YAML::Key << "r" << YAML::Value << YAML::DoubleQuoted << *lock.target.r;
  if (!lock.target.virtual_packages.empty()) {
    out << YAML::Key << "virtual_packages" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : lock.target.virtual_packages) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  emit_unless_empty(out, "base", lock.base);
  emit_unless_empty(out, "base_digest", lock.base_digest);
  emit_unless_empty(out, "inputs", lock.inputs_digest);
  emit_unless_empty(out, "input_parts", lock.input_parts);
  out << YAML::Key << "sources" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : lock.sources) {
    out << YAML::BeginMap;
    out << YAML::Key << "ecosystem" << YAML::Value << s.ecosystem;
    out << YAML::Key << "url" << YAML::Value << s.url;
    emit_unless_empty(out, "suite", s.suite);
    if (!s.components.empty())
      out << YAML::Key << "components" << YAML::Value << YAML::Flow << s.components;
    emit_unless_empty(out, "snapshot", s.snapshot);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "packages" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : lock.packages) {
    out << YAML::BeginMap;
    out << YAML::Key << "ecosystem" << YAML::Value << p.ecosystem;
    out << YAML::Key << "name" << YAML::Value << p.name;
    // Quoted so versions such as 1.10 or 2:1.0 stay strings for every YAML reader.
    out << YAML::Key << "version" << YAML::Value << YAML::DoubleQuoted << p.version;
    emit_unless_empty(out, "architecture", p.architecture);
    emit_unless_empty(out, "source", p.source);
    emit_unless_empty(out, "filename", p.filename);
    out << YAML::Key << "sha256" << YAML::Value << p.sha256;
    if (p.size) out << YAML::Key << "size" << YAML::Value << p.size;
    emit_unless_empty(out, "extra", p.extra);
    emit_unless_empty(out, "depends", p.depends);
    emit_unless_empty(out, "constrains", p.constrains);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string("# mlpack.lock: generated by `mlpack lock`; do not edit by hand.\n") + out.c_str() + "\n";
}

Result<LockFile> read(const std::filesystem::path& path) {
  auto text = TRY(util::read_file(path));
  return parse(text, path.string());
}

Result<void> write(const std::filesystem::path& path, const LockFile& lock) {
  return util::write_file_atomic(path, emit(lock));
}

}  // namespace mlpack::lock
