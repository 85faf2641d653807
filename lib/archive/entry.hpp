#pragma once
// Layer entries built in memory, for the layers mlpack writes itself (the venv skeleton, the dpkg
// database, the accounts, the CA store): one definition of what a generated file, directory and
// symlink look like, so every generated layer agrees on modes and owners.
#include <cstdint>
#include <string>

#include "archive/layer.hpp"

namespace mlpack::archive {

// A regular file holding `data` (size set from it). Owners default to 0:0 like everything else
// in a layer.
Entry file_entry(std::string path, std::string data, std::uint32_t mode = 0644, std::uint32_t uid = 0,
                 std::uint32_t gid = 0);
Entry dir_entry(std::string path, std::uint32_t mode = 0755, std::uint32_t uid = 0, std::uint32_t gid = 0);
// Mode 0777, as every symlink in a layer.
Entry symlink_entry(std::string path, std::string target);

}  // namespace mlpack::archive
