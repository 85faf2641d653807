#pragma once
// Debian package versions: `[epoch:]upstream[-revision]`, compared exactly as dpkg compares them
// (Debian Policy §5.6.12).
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::deb {

using util::Result;

class Version {
 public:
  // Parses and validates a version. Refused (invalid_input), as dpkg refuses them: an empty
  // string, embedded whitespace, an empty or non-numeric epoch, an empty upstream part, an empty
  // revision after the last '-', characters other than [A-Za-z0-9.+~:-] in the upstream part or
  // other than [A-Za-z0-9.+~] in the revision. Like dpkg, an upstream part that does not start with
  // a digit is accepted (dpkg only warns about it).
  static Result<Version> parse(std::string_view text);

  std::uint32_t epoch() const { return epoch_; }
  const std::string& upstream() const { return upstream_; }
  const std::string& revision() const { return revision_; }  // empty when absent
  // The version as written ("1:2.3-4"; "0:1.0" stays "0:1.0").
  const std::string& str() const { return text_; }

  // dpkg ordering: epoch numerically, then upstream, then revision, each by compare_fragments.
  // "1.0" and "0:1.0-0" compare equal, so == is dpkg equality, not string equality.
  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return (a <=> b) == 0; }

 private:
  std::string text_;
  std::uint32_t epoch_ = 0;
  std::string upstream_;
  std::string revision_;
};

// Compares an upstream or revision fragment with dpkg's algorithm: alternating runs of non-digits
// (compared character by character, where '~' sorts before everything including the end of the
// string, then the end, then letters, then all other characters by ASCII) and runs of digits
// (compared numerically, of any length). Returns <0, 0 or >0.
int compare_fragments(std::string_view a, std::string_view b);

}  // namespace mlpack::deb
