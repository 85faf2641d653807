// DESCRIPTION, runtime.txt, the R-file walk and read_r_project. renv.lock is read in
// r_renv_lock.cpp, install.R in r_install_script.cpp.
#include "detectors/r_project.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <system_error>

#include "cran/base_packages.hpp"
#include "cran/depends.hpp"
#include "dcf/paragraph.hpp"
#include "detectors/project.hpp"
#include "detectors/project_file.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;

namespace {

// Bounds on what is read: a DESCRIPTION or a runtime.txt is a few KiB.
constexpr std::size_t kMaxDescription = 1 << 20;
constexpr std::size_t kMaxRuntime = 1 << 16;

fs::path absolute_normal(const fs::path& p) {
  std::error_code ec;
  auto out = fs::absolute(p, ec).lexically_normal();
  if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) out = out.parent_path();
  return out;
}

std::string shown_as(const fs::path& path, const fs::path& project_root) {
  return display_path(absolute_normal(path), absolute_normal(project_root));
}

std::string where(std::string_view shown, int line) {
  return std::string(shown) + ":" + std::to_string(line) + ": ";
}

std::string_view rstrip(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  return util::to_lower(s);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The line each field starts on, by the same line rules lib/dcf applies (a line is `\n`-ended,
// trailing blanks and `\r` do not count, a blank line ends the paragraph, a line starting with a
// space or tab continues the field before it). A field given twice keeps its last line, as the
// parser keeps its last value. Only called on text lib/dcf accepted as one paragraph.
std::map<std::string, int> field_lines(std::string_view text) {
  std::map<std::string, int> out;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    auto line = rstrip(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (line.empty() || line.front() == ' ' || line.front() == '\t' || line.front() == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out[lower(line.substr(0, colon))] = line_no;
  }
  return out;
}

// The non-blank comma-separated entries of a field value as lib/dcf gives it (continuation lines
// joined by '\n', so each '\n' is one line), each with the offset in lines from the field's first
// line to where the entry starts.
struct Entry {
  int offset = 0;
  std::string_view text;
};

std::vector<Entry> entries(std::string_view value) {
  std::vector<Entry> out;
  int line = 0;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    auto piece = value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int at = line;
    bool found = false;
    for (char c : piece) {
      if (!found && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        found = true;
        at = line;
      }
      if (c == '\n') ++line;
    }
    if (found) out.push_back({at, piece});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// "4.3" or "4.3.2".
bool is_r_version(std::string_view s) {
  auto parts = util::split(s, '.');
  if (parts.size() < 2 || parts.size() > 3) return false;
  return std::all_of(parts.begin(), parts.end(), [](const std::string& p) { return all_digits(p) && p.size() <= 4; });
}

// "YYYY-MM-DD", a date on the calendar.
bool is_date(std::string_view y, std::string_view m, std::string_view d) {
  if (y.size() != 4 || m.size() != 2 || d.size() != 2 || !all_digits(y) || !all_digits(m) || !all_digits(d))
    return false;
  int year = std::stoi(std::string(y)), month = std::stoi(std::string(m)), day = std::stoi(std::string(d));
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= days[month - 1] + (month == 2 && leap ? 1 : 0);
}

}  // namespace

// --- DESCRIPTION -----------------------------------------------------------------------------

Result<RDescription> parse_r_description_text(std::string_view text, std::string_view shown) {
  RDescription out;
  out.file = std::string(shown);
  auto paragraphs = TRY(dcf::parse_paragraphs(text, shown));
  if (paragraphs.empty()) return out;
  if (paragraphs.size() > 1)
    return util::fail(ErrorKind::invalid_input,
                      where(shown, static_cast<int>(paragraphs[1].line)) +
                          "a second paragraph; a DESCRIPTION file is one paragraph of `Field: value` lines with no "
                          "blank line between them");
  const auto& paragraph = paragraphs.front();
  auto lines = field_lines(text);
  auto line_of = [&](std::string_view field) {
    auto it = lines.find(lower(field));
    return it == lines.end() ? static_cast<int>(paragraph.line) : it->second;
  };
  if (auto package = paragraph.get("Package")) out.package = util::trim(*package);
  std::optional<cran::Version> r_minimum;

  for (std::string_view field : {"Depends", "Imports", "LinkingTo"}) {
    auto value = paragraph.get(field);
    if (!value) continue;
    int first = line_of(field);
    auto pieces = entries(*value);
    auto deps = cran::parse_dependencies(*value);
    if (!deps) {
      int line = first;  // the line of the entry at fault, when one entry alone is
      for (const auto& piece : pieces)
        if (!cran::parse_dependencies(piece.text)) {
          line = first + piece.offset;
          break;
        }
      return util::fail(ErrorKind::invalid_input,
                        where(shown, line) + std::string(field) + ": " + deps.error().message);
    }
    if (pieces.size() != deps->size()) pieces.assign(deps->size(), Entry{});  // never expected; the field's line then
    for (std::size_t i = 0; i < deps->size(); ++i) {
      const auto& dep = (*deps)[i];
      int line = first + pieces[i].offset;
      if (dep.name == "R") {
        if (field != "Depends" || !dep.constraint) continue;
        auto op = dep.constraint->op;
        if (op != cran::Op::ge && op != cran::Op::gt && op != cran::Op::eq) continue;
        if (!r_minimum || *r_minimum < dep.constraint->version) {
          r_minimum = dep.constraint->version;
          out.r_minimum = r_minimum->str();
          out.r_minimum_line = line;
        }
        continue;
      }
      if (cran::is_base_package(dep.name)) continue;
      RRequirement req;
      req.name = dep.name;
      if (dep.constraint) req.constraint = dep.constraint->str();
      req.file = out.file;
      req.line = line;
      req.field = std::string(field);
      out.requirements.push_back(std::move(req));
    }
  }
  if (auto remotes = paragraph.get("Remotes"))
    for (const auto& piece : util::split(*remotes, ','))
      if (auto r = util::trim(piece); !r.empty()) out.remotes.push_back(r);
  return out;
}

Result<RDescription> parse_r_description(const fs::path& path, const fs::path& project_root) {
  auto shown = shown_as(path, project_root);
  auto text = TRY(read_project_file(path, project_root, kMaxDescription));
  return parse_r_description_text(text, shown);
}

// --- runtime.txt -----------------------------------------------------------------------------

Result<std::optional<RRuntime>> parse_r_runtime_text(std::string_view text, std::string_view shown) {
  int number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    auto raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++number;
    auto line = util::trim(raw);
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line = util::trim(line.substr(3));
    if (line.empty() || line.front() == '#') continue;
    if (!line.starts_with("r-")) return std::optional<RRuntime>{};  // Python's (python_version reads it), or not a pin
    RRuntime out;
    out.file = std::string(shown);
    out.line = number;
    auto parts = util::split(std::string_view(line).substr(2), '-');
    bool ok = false;
    if (parts.size() == 3 && is_date(parts[0], parts[1], parts[2])) {
      out.snapshot_date = parts[0] + "-" + parts[1] + "-" + parts[2];
      ok = true;
    } else if (parts.size() == 4 && is_r_version(parts[0]) && is_date(parts[1], parts[2], parts[3])) {
      out.version = parts[0];
      out.snapshot_date = parts[1] + "-" + parts[2] + "-" + parts[3];
      ok = true;
    } else if (parts.size() == 1 && is_r_version(parts[0])) {
      out.version = parts[0];
      ok = true;
    }
    if (!ok)
      return util::fail(ErrorKind::invalid_input,
                        where(shown, number) +
                            "expected `r-<version>-<YYYY>-<MM>-<DD>` (such as `r-4.3-2024-01-15`), "
                            "`r-<YYYY>-<MM>-<DD>` or `r-<version>`, got " +
                            quote_text(line));
    return std::optional<RRuntime>(std::move(out));
  }
  return std::optional<RRuntime>{};
}

Result<std::optional<RRuntime>> read_r_runtime(const fs::path& path, const fs::path& project_root) {
  auto shown = shown_as(path, project_root);
  auto text = TRY(read_project_file(path, project_root, kMaxRuntime));
  return parse_r_runtime_text(text, shown);
}

// --- R files ---------------------------------------------------------------------------------

bool has_r_files(const fs::path& project_root) {
  constexpr int kMaxDepth = 12;
  constexpr int kMaxEntries = 20000;
  std::error_code ec;
  fs::recursive_directory_iterator it(project_root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return false;
  int seen = 0;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec || ++seen > kMaxEntries) return false;
    const auto& entry = *it;
    auto name = entry.path().filename().string();
    std::error_code sec;
    auto status = entry.symlink_status(sec);
    if (sec) continue;
    if (fs::is_directory(status)) {
      bool skip = name == ".git" || name == ".mlpack" || name == "node_modules" || name == "packrat" ||
                  (name == "library" && entry.path().parent_path().filename() == "renv");
      if (skip || it.depth() >= kMaxDepth) it.disable_recursion_pending();
      continue;
    }
    if (!fs::is_regular_file(status)) continue;
    auto ext = entry.path().extension().string();
    if (ext == ".R" || ext == ".r" || ext == ".Rmd" || ext == ".rmd" || ext == ".qmd") return true;
  }
  return false;
}

// --- the project -----------------------------------------------------------------------------

Result<std::optional<RProject>> read_r_project(const fs::path& project_root) {
  const auto root = absolute_normal(project_root);
  const auto dir = environment_dir(root);
  RProject out;
  bool any = false;

  std::optional<RRuntime> runtime;
  if (auto path = dir / "runtime.txt"; project_file_present(path)) {
    runtime = TRY(read_r_runtime(path, root));
    if (runtime) {
      any = true;
      out.files.push_back(runtime->file);
      out.snapshot_date = runtime->snapshot_date;
    }
  }
  if (auto path = dir / "DESCRIPTION"; project_file_present(path)) {
    auto description = TRY(parse_r_description(path, root));
    any = true;
    out.files.push_back(description.file);
    out.r_minimum = description.r_minimum;
    for (auto& r : description.requirements) out.requirements.push_back(std::move(r));
    out.remotes = std::move(description.remotes);
  }
  if (auto path = dir / "install.R"; project_file_present(path)) {
    auto requirements = TRY(parse_install_r(path, root));
    any = true;
    out.files.push_back(shown_as(path, root));
    for (auto& r : requirements) out.requirements.push_back(std::move(r));
  }
  if (auto path = dir / "renv.lock"; project_file_present(path)) {
    auto lock = TRY(parse_renv_lock(path, root));
    any = true;
    out.files.push_back(lock.file);
    for (const auto& p : lock.packages) {
      if (cran::is_base_package(p.name)) continue;
      RRequirement req;
      req.name = p.name;
      req.exact_version = p.version;
      req.file = lock.file;
      req.line = p.line;
      req.field = "renv.lock";
      out.requirements.push_back(std::move(req));
    }
    out.renv = std::move(lock);
  }
  if (!any) return std::optional<RProject>{};

  if (runtime && runtime->version) {
    out.r_version = runtime->version;
    out.r_version_origin = runtime->file + ":" + std::to_string(runtime->line);
  } else if (out.renv && out.renv->r_version) {
    out.r_version = out.renv->r_version;
    out.r_version_origin = out.renv->file;
  }
  out.has_r_files = has_r_files(root);
  return std::optional<RProject>(std::move(out));
}

}  // namespace mlpack::detectors
