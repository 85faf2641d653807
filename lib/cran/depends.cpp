#include "cran/depends.hpp"

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::cran {

namespace {

using util::trim_view;
bool is_space(char c) { return util::is_ascii_space(c); }

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

util::Error invalid(std::string_view entry, std::string_view why) {
  return util::Error{util::ErrorKind::invalid_input,
                     "invalid dependency `" + util::printable_excerpt(entry, 80) + "`: " + std::string(why)};
}

// `name`, `name (op version)`, `name(op version)`; whitespace anywhere between the tokens.
Result<Dependency> parse_entry(std::string_view entry) {
  std::size_t i = 0;
  while (i < entry.size() && (is_ascii_letter(entry[i]) || is_ascii_digit(entry[i]) || entry[i] == '.')) ++i;
  Dependency dep;
  dep.name = std::string(entry.substr(0, i));
  if (dep.name != "R" && !is_valid_package_name(dep.name))
    return std::unexpected(invalid(entry, "`" + util::printable_excerpt(dep.name, 60) + "` is not a valid package name"));
  auto rest = trim_view(entry.substr(i));
  if (rest.empty()) return dep;
  if (rest.front() != '(' || rest.back() != ')')
    return std::unexpected(invalid(entry, "expected `name` or `name (>= version)`"));
  rest = trim_view(rest.substr(1, rest.size() - 2));
  static constexpr std::pair<std::string_view, Op> ops[] = {
      {">=", Op::ge}, {"<=", Op::le}, {"==", Op::eq}, {"!=", Op::ne}, {">", Op::gt}, {"<", Op::lt},
  };
  const std::pair<std::string_view, Op>* found = nullptr;
  for (const auto& op : ops)
    if (rest.starts_with(op.first)) {
      found = &op;
      break;
    }
  if (!found) return std::unexpected(invalid(entry, "the operator must be one of >=, >, <=, <, ==, !="));
  auto version_text = trim_view(rest.substr(found->first.size()));
  // R's package_version() would refuse a one-component version of a package, but "R (>= 4)"
  // occurs and reads as 4; constraints take R's numeric_version rules for every name.
  auto version = Version::parse_numeric(version_text);
  if (!version) return std::unexpected(invalid(entry, version.error().message));
  dep.constraint = Constraint{found->second, std::move(*version)};
  return dep;
}

}  // namespace

const char* to_string(Op op) {
  switch (op) {
    case Op::ge: return ">=";
    case Op::gt: return ">";
    case Op::le: return "<=";
    case Op::lt: return "<";
    case Op::eq: return "==";
    case Op::ne: return "!=";
  }
  return "?";
}

std::string Constraint::str() const {
  return std::string(to_string(op)) + " " + version.str();
}

bool Constraint::satisfied_by(const Version& v) const {
  switch (op) {
    case Op::ge: return v >= version;
    case Op::gt: return v > version;
    case Op::le: return v <= version;
    case Op::lt: return v < version;
    case Op::eq: return v == version;
    case Op::ne: return v != version;
  }
  return false;
}

std::string Dependency::str() const {
  if (!constraint) return name;
  return name + " (" + constraint->str() + ")";
}

Result<std::vector<Dependency>> parse_dependencies(std::string_view field) {
  std::vector<Dependency> out;
  while (true) {
    const auto comma = field.find(',');
    const auto entry = trim_view(field.substr(0, comma));
    if (!entry.empty()) out.push_back(TRY(parse_entry(entry)));
    if (comma == std::string_view::npos) break;
    field.remove_prefix(comma + 1);
  }
  return out;
}

bool is_valid_package_name(std::string_view name) {
  if (name.size() < 2 || !is_ascii_letter(name.front()) || name.back() == '.') return false;
  for (char c : name)
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '.') return false;
  return true;
}

}  // namespace mlpack::cran
