#pragma once
// PEP 440 version specifiers (`~=1.4.2`, `!=1.5.*`, `===foo`) and comma-joined sets of them,
// with the pre-release rules of pypa/packaging 25+ (which pip follows).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pypi/version.hpp"

namespace mlpack::pypi {

enum class Operator { compatible, equal, not_equal, less_equal, greater_equal, less, greater, arbitrary };
const char* to_string(Operator op);  // "~=", "==", …

// Whether pre-releases (and dev releases) may match. `implied` lets the specifier decide: it
// allows them when it names a pre-release itself (`>=1.0b1`), and otherwise accepts a matching
// pre-release only when no final release matched (so `contains` of a lone pre-release is true).
enum class Prereleases { implied, include, exclude };

// For SpecifierSet::contains: an installed pre-release always counts as allowed.
enum class Installed { no, yes };

class Specifier {
 public:
  // Parses `<op><version>`; white space may surround both parts. Refused (invalid_input, naming the
  // text and the problem): a missing or unknown operator, a missing version, an invalid version,
  // a local label or `.*` with an operator other than `==`/`!=`, `.*` after anything but a release,
  // `~=` with a single release segment. `===` takes any text up to white space, `;` or `)`.
  // `prereleases` pins the pre-release policy for this specifier (Python's `prereleases=`).
  static Result<Specifier> parse(std::string_view text, Prereleases prereleases = Prereleases::implied);

  Operator op() const { return op_; }
  // The version as written, without surrounding white space ("1.0.*", "foobar" for `===`).
  const std::string& version_text() const { return text_; }
  bool is_wildcard() const { return wildcard_; }

  // Whether this specifier lets pre-releases through by itself: the explicit policy when given,
  // else true when its own version is a pre-release (never for `!=`, `==X.*`, or `===` text that
  // is not a version).
  bool allows_prereleases() const;

  // Whether `version` satisfies the specifier under the pre-release policy (`implied` defers to
  // the one given at parse time). The string overload matters for `===`, which compares the raw
  // text case-insensitively; for other operators an invalid version never matches.
  bool contains(const Version& version, Prereleases prereleases = Prereleases::implied) const;
  bool contains(std::string_view version, Prereleases prereleases = Prereleases::implied) const;

  // The matching items, in input order. With `implied`, matching pre-releases are kept only when
  // no final release matched (unless the specifier allows them).
  std::vector<Version> filter(std::span<const Version> versions,
                              Prereleases prereleases = Prereleases::implied) const;
  std::vector<std::string> filter(std::span<const std::string> versions,
                                  Prereleases prereleases = Prereleases::implied) const;

  // The operator and version text without white space ("< 2" -> "<2").
  std::string str() const { return to_string(op_) + text_; }

  // Equal when operator and normalised version agree (`==2.8.0` equals `==2.8`; for `~=` trailing
  // zeros count; `===` compares the text case-insensitively). The pre-release policy is ignored.
  friend bool operator==(const Specifier& a, const Specifier& b);

  // Whether the operator relation holds, ignoring pre-release policy. Exposed for SpecifierSet.
  bool matches(const Version& version) const;
  bool matches_text(std::string_view raw) const;  // `===` only

  // The operator and normalised version that equality compares ("==2.8.0" -> "==2.8").
  std::string canonical_key() const;

 private:

  Operator op_ = Operator::equal;
  std::string text_;
  Version version_;      // parsed version (for `===`, only when the text is a version)
  bool has_version_ = false;
  bool wildcard_ = false;
  Prereleases prereleases_ = Prereleases::implied;
};

class SpecifierSet {
 public:
  // Parses comma-separated specifiers ("~=1.4.2, !=1.5.*"); empty items are skipped, so "" is the
  // set that matches everything. An invalid item fails with the item's error, in context.
  static Result<SpecifierSet> parse(std::string_view text, Prereleases prereleases = Prereleases::implied);

  std::span<const Specifier> specifiers() const { return specs_; }
  bool empty() const { return specs_.empty(); }

  // True (explicit policy, or some member names a pre-release), false (explicit exclude), or
  // implied when neither.
  Prereleases prerelease_policy() const;

  // Whether `version` satisfies every member. Pre-releases follow `prereleases`, then the set's
  // policy; with `implied` a lone pre-release matches when every member matches it.
  bool contains(const Version& version, Prereleases prereleases = Prereleases::implied,
                Installed installed = Installed::no) const;
  bool contains(std::string_view version, Prereleases prereleases = Prereleases::implied,
                Installed installed = Installed::no) const;

  std::vector<Version> filter(std::span<const Version> versions,
                              Prereleases prereleases = Prereleases::implied) const;
  std::vector<std::string> filter(std::span<const std::string> versions,
                                  Prereleases prereleases = Prereleases::implied) const;

  // Members' str() sorted and de-duplicated, joined by ",": deterministic whatever the input order.
  std::string str() const;

  // Equal when the members are equal as sets (`>1.0.0,>1.0` equals `>1.0`).
  friend bool operator==(const SpecifierSet& a, const SpecifierSet& b);

 private:
  std::vector<Specifier> specs_;
  Prereleases prereleases_ = Prereleases::implied;
};

}  // namespace mlpack::pypi
