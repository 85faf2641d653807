#pragma once
// `*` wildcards as conda's build strings, names and version patterns use them. Matched in
// O(pattern × value) time, never by a backtracking regex: a pattern of many stars from a
// project's file or a channel's repodata must not take exponential time (fuzz_conda_spec found
// `**********J` against a version taking seconds through std::regex).
#include <string_view>

namespace mlpack::conda::detail {

// Why std::regex must not compile `pattern` (a spec's `^…$`, from a project or a channel), or ""
// when it may: libstdc++'s regex backtracks, so nested or long runs of quantifiers take exponential
// time, and a counted repetition `{n}` overflows on a huge n. Real specs use a few quantifiers
// (`^1\.2\..*$`); more than 8, a quantified group, a quantifier on a quantifier, `{`, a
// back-reference (whose number overflows the same way), or a
// pattern over 256 characters is refused.
std::string_view unsafe_regex(std::string_view pattern);

// Whether `value` is all of `pattern`, where `*` stands for any run of characters (none too).
bool glob_match(std::string_view pattern, std::string_view value, bool icase = false);

}  // namespace mlpack::conda::detail
