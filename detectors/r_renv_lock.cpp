// renv.lock: renv's lockfile, JSON. renv 0.x writes `Source: "CRAN"` or `"Repository"` records
// without `Requirements`; renv 1.0 adds `Requirements` (names); renv 1.1 writes the DESCRIPTION's
// own fields instead (`Depends`, `Imports`, `LinkingTo` as lists of "name (op version)").
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "cran/base_packages.hpp"
#include "cran/depends.hpp"
#include "cran/version.hpp"
#include "detectors/project.hpp"
#include "detectors/project_file.hpp"
#include "detectors/r_project.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;

namespace {

using json = nlohmann::json;

// A lockfile of a few thousand packages written by renv 1.1 (whole DESCRIPTIONs) stays under a
// few MiB.
constexpr std::size_t kMaxLock = 16 << 20;
// renv writes depth 4 (top, Packages, a record, a list); the bound keeps hostile nesting from
// costing memory in the JSON tree.
constexpr int kMaxDepth = 64;

int line_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// Where the keys renv.lock readers need are: the top level's, and those of the "Packages" object,
// in file order. nlohmann::json keeps no positions, so one linear pass over the text finds them
// (strings skipped with their escapes; a string followed by `:` is a key). It also bounds the
// nesting before the text is parsed. Keys are raw (escapes undecoded).
struct KeyScan {
  std::vector<std::pair<std::string, int>> top;       // key, line
  std::vector<std::pair<std::string, int>> packages;  // key, line
  int too_deep_line = 0;                              // where nesting passed kMaxDepth, or 0
};

KeyScan scan_keys(std::string_view text) {
  KeyScan out;
  int depth = 0;
  int line = 1;
  int packages_depth = 0;  // depth of the "Packages" object while inside it, else 0
  bool next_is_packages = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '"') {
      std::size_t start = ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\n') ++line;
        i += text[i] == '\\' ? 2 : 1;
      }
      if (i >= text.size()) break;  // unterminated: the parser says where
      std::string_view key = text.substr(start, i - start);
      ++i;
      std::size_t j = i;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n')) ++j;
      if (j < text.size() && text[j] == ':') {
        if (depth == 1) {
          out.top.emplace_back(std::string(key), line);
          next_is_packages = key == "Packages";
        } else if (packages_depth != 0 && depth == packages_depth) {
          out.packages.emplace_back(std::string(key), line);
        }
      }
    } else if (c == '{' || c == '[') {
      ++depth;
      if (depth > kMaxDepth) {
        out.too_deep_line = line;
        return out;
      }
      if (c == '{' && depth == 2 && next_is_packages && packages_depth == 0) packages_depth = 2;
      next_is_packages = false;
      ++i;
    } else if (c == '}' || c == ']') {
      if (depth == packages_depth) packages_depth = 0;
      if (depth > 0) --depth;
      ++i;
    } else {
      if (c == ',') next_is_packages = false;
      ++i;
    }
  }
  return out;
}

// A raw key as the JSON parser decodes it; the raw text when it does not decode.
std::string decode_key(const std::string& raw) {
  if (raw.find('\\') == std::string::npos) return raw;
  try {
    return json::parse("\"" + raw + "\"").get<std::string>();
  } catch (const json::exception&) {
    return raw;
  }
}

class LockReader {
 public:
  LockReader(std::string_view text, std::string_view shown) : text_(text), shown_(shown) {}

  Result<RenvLock> read() {
    auto keys = scan_keys(text_);
    if (keys.too_deep_line)
      return fail(keys.too_deep_line, "nested deeper than " + std::to_string(kMaxDepth) + " levels; renv writes 4");
    json doc;
    try {
      doc = json::parse(text_);
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error …"
      if (auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
      return fail(line_at(text_, e.byte == 0 ? 0 : e.byte - 1), "not valid JSON: " + util::printable_excerpt(what));
    } catch (const json::exception& e) {
      // A number out of range ("number overflow parsing '5e400'"): no byte offset, but the
      // number's text is quoted; its first occurrence gives the line.
      std::string what = e.what();
      if (auto colon = what.find("] "); colon != std::string::npos) what = what.substr(colon + 2);
      int line = 1;
      if (auto q = what.find('\''); q != std::string::npos)
        if (auto end = what.find('\'', q + 1); end != std::string::npos && end > q + 1)
          if (auto at = text_.find(what.substr(q + 1, end - q - 1)); at != std::string_view::npos)
            line = line_at(text_, at);
      return fail(line, "not valid JSON: " + util::printable_excerpt(what));
    }
    if (!doc.is_object()) return fail(1, "expected a JSON object (an renv lockfile)");
    auto top_line = [&](std::string_view key) {
      for (const auto& [k, l] : keys.top)
        if (k == key) return l;
      return 1;
    };

    RenvLock out;
    out.file = std::string(shown_);
    if (auto r = doc.find("R"); r != doc.end()) {
      int line = top_line("R");
      if (!r->is_object()) return fail(line, "`R` must be an object");
      if (auto v = r->find("Version"); v != r->end()) {
        if (!v->is_string()) return fail(line, "`R.Version` must be a string");
        auto text = v->get<std::string>();
        if (!cran::Version::parse_numeric(text))
          return fail(line, "`R.Version` " + quote_text(text) + " is not an R version");
        out.r_version = util::trim(text);
      }
      if (auto repos = r->find("Repositories"); repos != r->end()) {
        if (!repos->is_array()) return fail(line, "`R.Repositories` must be a list");
        for (const auto& repo : *repos) {
          auto name = repo.is_object() ? repo.find("Name") : repo.end();
          auto url = repo.is_object() ? repo.find("URL") : repo.end();
          if (!repo.is_object() || name == repo.end() || url == repo.end() || !name->is_string() || !url->is_string())
            return fail(line, "each of `R.Repositories` needs a `Name` and a `URL` (strings)");
          out.repositories.push_back({name->get<std::string>(), url->get<std::string>()});
        }
      }
    }
    if (auto bioc = doc.find("Bioconductor"); bioc != doc.end()) {
      int line = top_line("Bioconductor");
      auto v = bioc->is_object() ? bioc->find("Version") : bioc->end();
      if (!bioc->is_object() || (v != bioc->end() && !v->is_string()))
        return fail(line, "`Bioconductor` must be an object with a `Version` string");
      if (v != bioc->end()) out.bioconductor_version = v->get<std::string>();
    }
    auto packages = doc.find("Packages");
    if (packages == doc.end()) return out;  // renv writes `Packages: {}` for an empty project; none is the same
    int packages_line = top_line("Packages");
    if (!packages->is_object()) return fail(packages_line, "`Packages` must be an object, one entry per package");

    // File order from the scan; the JSON object is the authority on what is there.
    std::set<std::string> seen;
    for (const auto& [raw, line] : keys.packages) {
      auto name = decode_key(raw);
      if (!seen.insert(name).second) return fail(line, "package " + quote_text(name) + " is listed twice");
      auto entry = packages->find(name);
      if (entry == packages->end()) continue;
      out.packages.push_back(TRY(package(name, *entry, line)));
    }
    for (const auto& [name, entry] : packages->items())  // anything the scan missed (never expected)
      if (!seen.contains(name)) out.packages.push_back(TRY(package(name, entry, packages_line)));
    return out;
  }

 private:
  std::unexpected<util::Error> fail(int line, const std::string& what) const {
    return util::fail(ErrorKind::invalid_input, std::string(shown_) + ":" + std::to_string(line) + ": " + what);
  }

  Result<std::string> string_field(const json& entry, const char* key, const std::string& name, int line) const {
    auto it = entry.find(key);
    if (it == entry.end()) return std::string();
    if (!it->is_string()) return fail(line, "package " + quote_text(name) + ": `" + key + "` must be a string");
    return it->get<std::string>();
  }

  Result<RenvPackage> package(const std::string& key, const json& entry, int line) const {
    if (!entry.is_object()) return fail(line, "package " + quote_text(key) + ": expected an object");
    RenvPackage p;
    p.line = line;
    p.name = TRY(string_field(entry, "Package", key, line));
    if (p.name.empty()) p.name = key;
    if (p.name != key)
      return fail(line, "the entry " + quote_text(key) + " is for package " + quote_text(p.name) +
                            "; renv names each entry after its package");
    if (!cran::is_valid_package_name(p.name)) return fail(line, quote_text(p.name) + " is not an R package name");
    p.version = TRY(string_field(entry, "Version", key, line));
    if (p.version.empty()) return fail(line, "package " + quote_text(key) + " has no `Version`");
    if (auto v = cran::Version::parse(p.version); !v)
      return fail(line, "package " + quote_text(key) + ": " + v.error().message);
    p.source = TRY(string_field(entry, "Source", key, line));
    p.repository = TRY(string_field(entry, "Repository", key, line));
    p.remote_type = TRY(string_field(entry, "RemoteType", key, line));
    p.hash = TRY(string_field(entry, "Hash", key, line));

    std::set<std::string> have;
    auto add = [&](std::string name) {
      if (name == "R" || cran::is_base_package(name) || !have.insert(name).second) return;
      p.requirements.push_back(std::move(name));
    };
    if (auto req = entry.find("Requirements"); req != entry.end()) {
      if (!req->is_array()) return fail(line, "package " + quote_text(key) + ": `Requirements` must be a list");
      for (const auto& r : *req) {
        if (!r.is_string()) return fail(line, "package " + quote_text(key) + ": `Requirements` must list names");
        add(r.get<std::string>());
      }
    } else {
      for (const char* field : {"Depends", "Imports", "LinkingTo"}) {
        auto f = entry.find(field);
        if (f == entry.end()) continue;
        std::string joined;
        if (f->is_string()) {
          joined = f->get<std::string>();
        } else if (f->is_array()) {
          for (const auto& d : *f) {
            if (!d.is_string()) return fail(line, "package " + quote_text(key) + ": `" + field + "` must list strings");
            joined += d.get<std::string>() + ",";
          }
        } else {
          return fail(line, "package " + quote_text(key) + ": `" + field + "` must be a list");
        }
        auto deps = cran::parse_dependencies(joined);
        if (!deps) return fail(line, "package " + quote_text(key) + ": `" + field + "`: " + deps.error().message);
        for (auto& d : *deps) add(std::move(d.name));
      }
    }
    return p;
  }

  std::string_view text_;
  std::string_view shown_;
};

}  // namespace

Result<RenvLock> parse_renv_lock_text(std::string_view text, std::string_view shown) {
  return LockReader(text, shown).read();
}

Result<RenvLock> parse_renv_lock(const fs::path& path, const fs::path& project_root) {
  std::error_code ec;
  auto root = fs::absolute(project_root, ec).lexically_normal();
  auto shown = display_path(fs::absolute(path, ec).lexically_normal(), root);
  auto text = TRY(read_project_file(path, project_root, kMaxLock));
  return parse_renv_lock_text(text, shown);
}

}  // namespace mlpack::detectors
