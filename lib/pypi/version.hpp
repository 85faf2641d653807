#pragma once
// PEP 440 versions: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, parsed with the spec's
// normalisation rules and ordered as the spec (and pip) order them.
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::pypi {

using util::Result;

enum class PreKind { a, b, rc };  // declared in sort order
const char* to_string(PreKind kind);

struct PreRelease {
  PreKind kind = PreKind::a;
  std::uint64_t number = 0;
  friend bool operator==(const PreRelease&, const PreRelease&) = default;
};

class Version {
 public:
  // Parses a version and normalises it (PEP 440 "Normalization"): surrounding whitespace (any
  // Unicode white space, as Python strips it), a leading `v`, ASCII case, the spellings
  // `alpha/beta/c/pre/preview` for `a/b/rc/rc/rc`, `rev`/`r`/`-N` for `.postN`, implicit 0 for a
  // missing pre/post/dev number, `-`/`_`/`.` separators and leading zeros in numbers. Anything else
  // (including non-ASCII digits and letters) is refused with invalid_input naming the text.
  static Result<Version> parse(std::string_view text);

  std::uint64_t epoch() const { return epoch_; }
  std::span<const std::uint64_t> release() const { return release_; }
  const std::optional<PreRelease>& pre() const { return pre_; }
  const std::optional<std::uint64_t>& post() const { return post_; }
  const std::optional<std::uint64_t>& dev() const { return dev_; }
  // The local label with `.` separators and lower case ("cu121.abc"); empty when absent.
  const std::string& local() const { return local_; }

  // A pre-release or a development release (PEP 440 counts `1.0.dev1` as a pre-release).
  bool is_prerelease() const { return pre_.has_value() || dev_.has_value(); }
  bool is_postrelease() const { return post_.has_value(); }
  bool is_devrelease() const { return dev_.has_value(); }

  // The version without its local label ("1.0+cu121" -> "1.0"). (`public` is a C++ keyword.)
  Version public_version() const;
  // Epoch and release only ("1!2.0rc1.post3+x" -> "1!2.0").
  Version base_version() const;

  // The normalised form: epoch only when non-zero, release as written (trailing zeros kept).
  std::string str() const;

  // PEP 440 order: epoch, release (trailing zeros ignored, so 1.0 == 1.0.0), then
  // .devN < aN < bN < rcN < (final) < .postN, with dev releases of each sorting first; a local
  // label sorts after the same public version, labels compare segment by segment with numeric
  // segments numerically and after alphanumeric ones, and a shorter label first when it is a prefix.
  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return (a <=> b) == 0; }

 private:
  std::uint64_t epoch_ = 0;
  std::vector<std::uint64_t> release_;
  std::optional<PreRelease> pre_;
  std::optional<std::uint64_t> post_;
  std::optional<std::uint64_t> dev_;
  std::string local_;
};

namespace detail {
// Removes leading and trailing white space as Python's str.strip() does (ASCII and the Unicode
// space characters, UTF-8 encoded). Shared by the version and specifier parsers.
std::string_view strip_whitespace(std::string_view text);
}  // namespace detail

}  // namespace mlpack::pypi
