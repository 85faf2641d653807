#pragma once
// R's dependency fields (Depends, Imports, LinkingTo, Suggests, Enhances): a comma-separated list
// of `name` or `name (op version)`, with whitespace and newlines anywhere (also inside the
// parentheses, and none needed before them: "R(>= 3.4.0)"), empty entries (trailing commas)
// ignored, as R's tools:::.split_dependencies does.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cran/version.hpp"
#include "util/error.hpp"

namespace mlpack::cran {

enum class Op { ge, gt, le, lt, eq, ne };

// ">=", ">", "<=", "<", "==", "!="
const char* to_string(Op op);

struct Constraint {
  Op op = Op::ge;
  Version version;

  // "(>= 1.0.0)" without the parentheses: ">= 1.0.0".
  std::string str() const;
  bool satisfied_by(const Version& v) const;
};

struct Dependency {
  std::string name;
  std::optional<Constraint> constraint;

  // "toast (>= 1.0.0)" or "toast".
  std::string str() const;
};

// Parses one dependency field. invalid_input "invalid dependency `…`: <reason>" quoting the bad
// entry (a bad name, an unknown operator, a bad version, text after the closing parenthesis).
// The name `R` is accepted (and kept: PackageRecord takes it out); its version may have one
// component ("R (>= 4)").
Result<std::vector<Dependency>> parse_dependencies(std::string_view field);

// R's rule for package names: ASCII letters, digits and `.`, at least two characters, starting
// with a letter and not ending with `.`.
bool is_valid_package_name(std::string_view name);

}  // namespace mlpack::cran
