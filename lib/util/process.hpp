#pragma once
// Running another program: no shell, PATH lookup, stdin from /dev/null.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace mlpack::util {

// Runs `args` with stdout and stderr written to the files `out` and `err`, and returns its exit
// status. ErrorKind::unsupported when the program is not installed; io when it cannot be started
// or is killed by a signal.
Result<int> run_program(const std::vector<std::string>& args, const std::filesystem::path& out,
                        const std::filesystem::path& err);

// The program's stdout (at most `limit` bytes) when it runs and exits 0, else nullopt: for
// optional facts such as a git revision, where a missing tool or a failure just means "unknown".
std::optional<std::string> program_output(const std::vector<std::string>& args, std::size_t limit = 1 << 20);

}  // namespace mlpack::util
