#include "detectors/apt_txt.hpp"

#include "detectors/project.hpp"
#include "detectors/project_file.hpp"

#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

namespace {
// Debian Policy 5.6.1: lowercase letters, digits, + - . ; at least two characters, starting
// alphanumeric.
bool valid_package_name(std::string_view n) {
  if (n.size() < 2 || !(std::isalnum(static_cast<unsigned char>(n[0])))) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
  return true;
}

bool valid_version(std::string_view v) {
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view(".+-~:").find(c) != std::string_view::npos))
      return false;
  return true;
}
}  // namespace

util::Result<std::vector<AptRequest>> parse_apt_txt(std::string_view text, std::string_view file) {
  std::vector<AptRequest> out;
  int line_no = 0;
  for (const auto& raw : util::split(text, '\n')) {
    ++line_no;
    std::string line = raw;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = util::trim(line);
    if (line.empty()) continue;
    auto where = std::string(file) + ":" + std::to_string(line_no) + ": ";
    if (line.find_first_of(" \t") != std::string::npos)
      return util::fail(util::ErrorKind::invalid_input, where + "expected one package per line, got " + quote_text(line));
    AptRequest req{line, "", std::string(file), line_no};
    if (auto eq = line.find('='); eq != std::string::npos) {
      req.name = line.substr(0, eq);
      req.version = line.substr(eq + 1);
      if (!valid_version(req.version))
        return util::fail(util::ErrorKind::invalid_input, where + "invalid version " + quote_text(req.version) + " for " + quote_text(req.name));
    }
    if (!valid_package_name(req.name))
      return util::fail(util::ErrorKind::invalid_input, where + "invalid Debian package name " + quote_text(req.name));
    out.push_back(std::move(req));
  }
  return out;
}

util::Result<std::vector<AptRequest>> read_apt_txt(const std::filesystem::path& dir) {
  // As for requirements.txt and runtime.txt (and as repo2docker does): a binder/ or .binder/
  // folder holds the environment, and the root's files are not read.
  auto env_dir = environment_dir(dir);
  auto path = env_dir / "apt.txt";
  if (!project_file_present(path)) return std::vector<AptRequest>{};
  auto text = TRY(read_project_file(path, dir, 1 << 20));
  return parse_apt_txt(text, path.lexically_relative(dir).generic_string());
}

}  // namespace mlpack::detectors
