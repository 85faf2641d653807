#include "detectors/python_lockfiles.hpp"

#include <algorithm>

#include "detectors/python_lockfiles_internal.hpp"
#include "pypi/name.hpp"
#include "pypi/specifier.hpp"
#include "util/text.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::detectors {

namespace lockfiles {

using util::ErrorKind;

util::Error Context::error(std::string_view what, int line, int column) const {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  if (line > 0 && column > 0) where += ":" + std::to_string(column);
  return util::Error{ErrorKind::invalid_input, where + ": " + std::string(what)};
}

util::Error Context::error(const toml::node& at, std::string_view what) const {
  const auto& begin = at.source().begin;
  return error(what, static_cast<int>(begin.line), static_cast<int>(begin.column));
}

fs::path Context::resolve(std::string_view relative) const {
  fs::path p{std::string(relative)};
  if (p.is_relative()) p = path.parent_path() / p;
  return p.lexically_normal();
}

Result<toml::table> parse_toml(const Context& ctx, std::string_view text) {
  try {
    return toml::parse(text, ctx.file);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return std::unexpected(
        ctx.error(util::printable_excerpt(e.description()), static_cast<int>(begin.line), static_cast<int>(begin.column)));
  }
}

Result<bool> marker_holds_at(const Context& ctx, int line, std::string_view package, std::string_view marker,
                             std::span<const std::string> extras) {
  auto parsed = pypi::Marker::parse(marker);
  if (!parsed)
    return std::unexpected(
        ctx.error(quote_text(package) + ": marker " + quote_text(marker) + ": " + parsed.error().message, line));
  auto holds = parsed->try_evaluate(ctx.env, extras);
  if (!holds)
    return std::unexpected(
        ctx.error(quote_text(package) + ": marker " + quote_text(marker) + ": " + holds.error().message, line));
  return *holds;
}

Result<bool> marker_holds(const Context& ctx, const toml::node& at, std::string_view package,
                          std::string_view marker, std::span<const std::string> extras) {
  return marker_holds_at(ctx, line_of(at), package, marker, extras);
}

bool is_sha256_hex(std::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

Result<std::string> sha256_of(const Context& ctx, const toml::node* at, int line, std::string_view package,
                              std::string_view hash) {
  auto fail = [&](std::string what) {
    what = quote_text(package) + ": " + what;
    return std::unexpected(at ? ctx.error(*at, what) : ctx.error(what, line));
  };
  auto colon = hash.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail("expected a hash as `sha256:<hex>`, got " + quote_text(hash));
  if (hash.substr(0, colon) != "sha256") return std::string();
  auto hex = hash.substr(colon + 1);
  if (!is_sha256_hex(hex)) return fail(quote_text(hash) + " is not a sha256 (64 hex digits)");
  std::string out(hex);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string last_segment(std::string_view url_or_path) {
  auto end = url_or_path.find_first_of("?#");
  if (end != std::string_view::npos) url_or_path = url_or_path.substr(0, end);
  auto slash = url_or_path.find_last_of('/');
  auto segment = slash == std::string_view::npos ? url_or_path : url_or_path.substr(slash + 1);
  std::string out;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (segment[i] == '%' && i + 2 < segment.size() && hex(segment[i + 1]) >= 0 && hex(segment[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(segment[i + 1]) * 16 + hex(segment[i + 2])));
      i += 2;
    } else {
      out.push_back(segment[i]);
    }
  }
  return out;
}

Result<bool> python_satisfies(const Context& ctx, const toml::node* at, std::string_view specifier) {
  auto set = pypi::SpecifierSet::parse(specifier);
  if (!set) {
    std::string what = "requires-python " + quote_text(specifier) + ": " + set.error().message;
    return std::unexpected(at ? ctx.error(*at, what) : ctx.error(what));
  }
  std::string python;
  if (auto it = ctx.env.values.find("python_full_version"); it != ctx.env.values.end()) python = it->second;
  if (python.empty())
    if (auto it = ctx.env.values.find("python_version"); it != ctx.env.values.end()) python = it->second;
  if (python.empty()) return true;
  // A target's Python is what it is: pre-release rules do not hide it.
  return set->contains(python, pypi::Prereleases::include);
}

Result<std::string> checked_requires_python(const Context& ctx, const toml::node& rp, std::string_view package,
                                            ShowLine show_line) {
  const std::string who = package.empty() ? "" : quote_text(package);
  auto spec = string_of(&rp);
  if (!spec)
    return std::unexpected(ctx.error(rp, (who.empty() ? "" : who + ": ") + "`requires-python` must be a string"));
  auto ok = TRY(python_satisfies(ctx, &rp, *spec));
  if (!ok) {
    std::string where = ctx.file;
    if (show_line == ShowLine::yes) where += ":" + std::to_string(line_of(rp));
    std::string what = who.empty() ? "the lock is for Python `" : who + " requires Python `";
    return util::fail(util::ErrorKind::unsatisfiable,
                      where + ": " + what + *spec + "`, which excludes the target's Python");
  }
  return *spec;
}

Result<void> require_a_sha256(const Context& ctx, const toml::node& at, std::string_view name,
                              std::string_view version, std::span<const LockedFile> files) {
  if (std::none_of(files.begin(), files.end(), [](const LockedFile& f) { return !f.sha256.empty(); }))
    return std::unexpected(ctx.error(at, quote_text(std::string(name) + " " + std::string(version)) + " has no sha256 hash for any file"));
  return {};
}

std::vector<std::string> normalized(std::span<const std::string> names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(pypi::normalize_name(n));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const toml::table* table_of(const toml::node* n) { return n ? n->as_table() : nullptr; }
const toml::array* array_of(const toml::node* n) { return n ? n->as_array() : nullptr; }
std::optional<std::string> string_of(const toml::node* n) {
  if (!n) return std::nullopt;
  if (auto s = n->value<std::string>()) return *s;
  return std::nullopt;
}
int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

}  // namespace lockfiles

const std::vector<std::string>& lockfile_names() {
  // A standard lock first, then the tools' own, most precise first.
  static const std::vector<std::string> names = {"pylock.toml", "uv.lock", "poetry.lock", "Pipfile.lock"};
  return names;
}

util::Result<ImportedLock> import_lockfile(const fs::path& path, const fs::path& project_root,
                                           const pypi::MarkerEnvironment& env, const LockSelection& selection) {
  auto relative = path.lexically_relative(project_root);
  std::string file = relative.empty() || relative.native().starts_with("..") ? path.string() : relative.generic_string();
  lockfiles::Context ctx{path, file, project_root, env, selection};

  // Lockfiles of real projects reach a few MiB (uv.lock of a large workspace); 64 MiB is a
  // generous bound that still refuses to read something that is not a lockfile.
  auto text = TRY(read_project_file(path, project_root, 64 << 20));

  const std::string name = path.filename().string();
  using TomlImporter = util::Result<ImportedLock> (*)(const lockfiles::Context&, const toml::table&);
  TomlImporter from_toml = nullptr;
  if (name == "uv.lock") from_toml = lockfiles::import_uv;
  else if (name == "poetry.lock") from_toml = lockfiles::import_poetry;
  else if (name == "pylock.toml" || (name.starts_with("pylock.") && name.ends_with(".toml")))
    from_toml = lockfiles::import_pylock;
  else if (name != "Pipfile.lock")
    return util::fail(util::ErrorKind::invalid_input,
                      file + ": not a lockfile mlpack reads (`pylock.toml`, `uv.lock`, `poetry.lock`, `Pipfile.lock`)");
  util::Result<ImportedLock> out;
  if (from_toml) {
    auto doc = TRY(lockfiles::parse_toml(ctx, text));
    out = from_toml(ctx, doc);
  } else {
    out = lockfiles::import_pipfile(ctx, text);
  }
  if (!out) return out;
  out->file = file;
  std::sort(out->distributions.begin(), out->distributions.end(),
            [](const LockedDistribution& a, const LockedDistribution& b) {
              return std::tie(a.name, a.version) < std::tie(b.name, b.version);
            });
  return out;
}

}  // namespace mlpack::detectors
