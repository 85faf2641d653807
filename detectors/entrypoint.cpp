#include "detectors/entrypoint.hpp"

#include <algorithm>
#include <fstream>
#include <vector>

#include "detectors/project_file.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::ErrorKind;

util::Result<std::optional<std::map<std::string, std::string>>> read_procfile(const fs::path& root) {
  if (!project_file_present(root / "Procfile")) return std::optional<std::map<std::string, std::string>>{};
  auto text = TRY(read_project_file(root / "Procfile", root, 1 << 20));
  std::map<std::string, std::string> out;
  int line_no = 0;
  for (auto line : util::split(text, '\n')) {
    ++line_no;
    std::string t = util::trim(line);
    if (t.empty() || t.starts_with('#')) continue;
    auto colon = t.find(':');
    std::string type = colon == std::string::npos ? "" : util::trim(t.substr(0, colon));
    bool valid = !type.empty() && type.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                                      std::string::npos;
    std::string command = colon == std::string::npos ? "" : util::trim(t.substr(colon + 1));
    if (!valid || command.empty())
      return util::fail(ErrorKind::invalid_input, "Procfile:" + std::to_string(line_no) +
                                                      ": expected `<process type>: <command>`, e.g. `web: python serve.py`");
    if (out.contains(type))
      return util::fail(ErrorKind::invalid_input, "Procfile:" + std::to_string(line_no) + ": process type " + quote_text(type) +
                                                      " is defined twice");
    out[type] = command;
  }
  return std::optional<std::map<std::string, std::string>>{std::move(out)};
}

util::Result<DefaultCommand> default_command(const fs::path& root) {
  auto procfile = TRY(read_procfile(root));
  if (procfile && procfile->contains("web"))
    return DefaultCommand{DefaultCommand::Kind::procfile_web, procfile->at("web")};
  // Not read, but run in the image: it too must be the project's own regular file.
  if (project_file_present(root / "start")) {
    auto start = TRY(check_project_file(root / "start", root));
    if (start.executable) return DefaultCommand{DefaultCommand::Kind::start_script, "/app/start"};
  }
  return DefaultCommand{};
}

namespace {

// `python`, `python3`, `python3.11`: the names CPython installs its interpreter under.
bool is_python_program(std::string_view path) {
  auto slash = path.rfind('/');
  auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (!name.starts_with("python")) return false;
  name.remove_prefix(6);
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    auto start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

constexpr int kMaxDepth = 12;
constexpr int kMaxEntries = 20000;

struct Walk {
  int seen = 0;
  std::optional<std::string> found;

  // Depth-first, by name, so the first file found is the same on every file system.
  void visit(const fs::path& dir, const std::string& rel, int depth) {
    std::error_code ec;
    if (depth > kMaxDepth || fs::exists(fs::symlink_status(dir / "pyvenv.cfg", ec))) return;
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (++seen > kMaxEntries) return;
      entries.push_back(*it);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
    for (const auto& entry : entries) {
      if (found || seen > kMaxEntries) return;
      auto name = entry.path().filename().string();
      auto path = rel.empty() ? name : rel + "/" + name;
      std::error_code sec;
      auto status = entry.symlink_status(sec);
      if (sec) continue;
      if (fs::is_directory(status)) {
        bool skip = name == ".git" || name == ".mlpack" || name == "__pycache__" || name == "node_modules" ||
                    name == ".ipynb_checkpoints" || (rel.empty() && (name == ".venv" || name == "venv"));
        if (!skip) visit(entry.path(), path, depth + 1);
        continue;
      }
      if (!fs::is_regular_file(status)) continue;
      auto ext = entry.path().extension();
      if (ext == ".py" || ext == ".ipynb" || (executable(status) && python_shebang_at(entry.path()))) found = path;
    }
  }

  static bool executable(const fs::file_status& status) {
    return (status.permissions() & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) !=
           fs::perms::none;
  }

  static bool python_shebang_at(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    char buffer[256];
    in.read(buffer, sizeof buffer);
    std::string_view head(buffer, static_cast<std::size_t>(in.gcount()));
    return is_python_shebang(head.substr(0, head.find('\n')));
  }
};

}  // namespace

bool is_python_shebang(std::string_view line) {
  if (!line.starts_with("#!")) return false;
  line.remove_prefix(2);
  if (line.ends_with('\r')) line.remove_suffix(1);
  auto w = words(line);
  if (w.empty()) return false;
  if (is_python_program(w[0])) return true;
  if (w[0] != "/usr/bin/env" && w[0] != "/bin/env") return false;
  // env's own options (`-S`, `-i`, `-u NAME`) and NAME=value assignments come before the program.
  for (std::size_t i = 1; i < w.size(); ++i) {
    if (w[i] == "-u" || w[i] == "--unset") {
      ++i;
      continue;
    }
    if (w[i].starts_with('-') || w[i].find('=') != std::string_view::npos) continue;
    return is_python_program(w[i]);
  }
  return false;
}

std::optional<std::string> find_python_code(const fs::path& root) {
  Walk walk;
  walk.visit(root, "", 0);
  return walk.found;
}

}  // namespace mlpack::detectors
