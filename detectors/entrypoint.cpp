#include "detectors/entrypoint.hpp"

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

}  // namespace mlpack::detectors
