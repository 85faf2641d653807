#include "detectors/project.hpp"

#include <system_error>

namespace mlpack::detectors {

fs::path environment_dir(const fs::path& project_root) {
  for (const char* name : {"binder", ".binder"}) {
    std::error_code ec;
    if (fs::is_directory(project_root / name, ec)) return project_root / name;
  }
  return project_root;
}

std::string display_path(const fs::path& file, const fs::path& project_root) {
  auto rel = file.lexically_normal().lexically_relative(project_root.lexically_normal());
  if (rel.empty()) return file.lexically_normal().generic_string();
  return rel.generic_string();
}

}  // namespace mlpack::detectors
