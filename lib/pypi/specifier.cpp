#include "pypi/specifier.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::pypi {

const char* to_string(Operator op) {
  switch (op) {
    case Operator::compatible: return "~=";
    case Operator::equal: return "==";
    case Operator::not_equal: return "!=";
    case Operator::less_equal: return "<=";
    case Operator::greater_equal: return ">=";
    case Operator::less: return "<";
    case Operator::greater: return ">";
    case Operator::arbitrary: return "===";
  }
  return "?";
}

namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Epoch equal and the release, padded with zeros, starting with `prefix` (the `==1.2.*` rule).
bool release_starts_with(const Version& v, std::uint64_t epoch, std::span<const std::uint64_t> prefix) {
  if (v.epoch() != epoch) return false;
  auto rel = v.release();
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if ((i < rel.size() ? rel[i] : 0) != prefix[i]) return false;
  return true;
}

// The version string with trailing zero release segments removed (at least one kept), as used to
// decide specifier equality: "==2.8.0" and "==2.8" are the same requirement.
std::string canonical_version(const Version& v, bool strip_trailing_zeros) {
  auto rel = v.release();
  std::size_t keep = rel.size();
  if (strip_trailing_zeros)
    while (keep > 1 && rel[keep - 1] == 0) --keep;
  std::string out = v.epoch() ? std::to_string(v.epoch()) + "!" : "";
  for (std::size_t i = 0; i < keep; ++i) out += (i ? "." : "") + std::to_string(rel[i]);
  auto full = v.str();
  auto base = v.base_version().str();
  return out + full.substr(base.size());
}

// One candidate as seen by filter(): a parsed version (absent when the text was not a version)
// and, for string input, the raw text that `===` compares.
struct Item {
  const Version* version = nullptr;
  std::optional<std::string_view> raw;
  bool is_prerelease() const { return version && version->is_prerelease(); }
};

bool item_matches(const Specifier& s, const Item& item) {
  if (s.op() == Operator::arbitrary) {
    if (item.raw) return s.matches_text(*item.raw);
    return item.version && s.matches(*item.version);
  }
  return item.version && s.matches(*item.version);
}

// Specifier.filter of pypa/packaging: pre-releases pass when allowed; under `implied` (and no
// explicit exclude on the specifier) matching pre-releases are a fallback for when no final
// release matched.
std::vector<std::size_t> filter_one(const Specifier& s, Prereleases pinned, std::span<const Item> items,
                                    Prereleases asked) {
  bool include = asked == Prereleases::implied ? s.allows_prereleases() : asked == Prereleases::include;
  bool fallback = asked == Prereleases::implied && pinned != Prereleases::exclude;
  std::vector<std::size_t> kept;
  std::vector<std::size_t> held_back;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!item_matches(s, items[i])) continue;
    if (!items[i].is_prerelease() || include)
      kept.push_back(i);
    else if (fallback)
      held_back.push_back(i);
  }
  if (kept.empty() && fallback) return held_back;
  return kept;
}

std::vector<std::size_t> filter_set(std::span<const Specifier> specs, Prereleases policy,
                                    std::span<const Item> items, Prereleases asked) {
  if (asked == Prereleases::implied) asked = policy;
  enum class Kind { skip, other, final, pre };
  std::vector<Kind> kinds(items.size(), Kind::skip);
  bool any_final = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    if (!std::all_of(specs.begin(), specs.end(), [&](const Specifier& s) { return item_matches(s, item); }))
      continue;
    // Text that is not a version (only `===` or an empty set lets it through) is kept as is and
    // plays no part in the pre-release decision.
    kinds[i] = !item.version ? Kind::other : item.is_prerelease() ? Kind::pre : Kind::final;
    any_final = any_final || kinds[i] == Kind::final;
  }
  // Pre-releases pass when allowed, or under `implied` as the fallback when no final release
  // satisfied the whole set.
  bool take_pre = asked == Prereleases::include || (asked == Prereleases::implied && !any_final);
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (kinds[i] == Kind::other || kinds[i] == Kind::final || (kinds[i] == Kind::pre && take_pre))
      kept.push_back(i);
  return kept;
}

template <class T>
std::vector<T> pick(std::span<const T> from, const std::vector<std::size_t>& indices) {
  std::vector<T> out;
  out.reserve(indices.size());
  for (auto i : indices) out.push_back(from[i]);
  return out;
}

std::vector<Item> items_of(std::span<const Version> versions) {
  std::vector<Item> items;
  items.reserve(versions.size());
  for (const auto& v : versions) items.push_back(Item{&v, std::nullopt});
  return items;
}

// Parses each string once; the returned items point into `parsed`.
std::vector<Item> items_of(std::span<const std::string> texts, std::vector<std::optional<Version>>& parsed) {
  parsed.clear();
  parsed.reserve(texts.size());
  for (const auto& t : texts) {
    auto v = Version::parse(t);
    parsed.push_back(v ? std::optional<Version>(std::move(*v)) : std::nullopt);
  }
  std::vector<Item> items;
  items.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i)
    items.push_back(Item{parsed[i] ? &*parsed[i] : nullptr, std::string_view(texts[i])});
  return items;
}

}  // namespace

Result<Specifier> Specifier::parse(std::string_view text, Prereleases prereleases) {
  auto s = detail::strip_whitespace(text);
  auto invalid = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_input, "`" + util::printable_excerpt(s) + "` " + std::string(why));
  };
  // Longest operators first so `===` is not read as `==` followed by `=`.
  static constexpr std::array<std::pair<std::string_view, Operator>, 8> kOperators = {{
      {"===", Operator::arbitrary},
      {"~=", Operator::compatible},
      {"==", Operator::equal},
      {"!=", Operator::not_equal},
      {"<=", Operator::less_equal},
      {">=", Operator::greater_equal},
      {"<", Operator::less},
      {">", Operator::greater},
  }};
  Specifier spec;
  spec.prereleases_ = prereleases;
  std::string_view rest;
  bool found = false;
  for (auto [word, op] : kOperators) {
    if (s.starts_with(word)) {
      spec.op_ = op;
      rest = detail::strip_whitespace(s.substr(word.size()));
      found = true;
      break;
    }
  }
  if (!found)
    return invalid("does not start with an operator (one of `~=`, `==`, `!=`, `<=`, `>=`, `<`, `>`, `===`)");
  if (rest.empty()) return invalid("has no version after `" + std::string(to_string(spec.op_)) + "`");
  spec.text_ = std::string(rest);

  if (spec.op_ == Operator::arbitrary) {
    if (rest.find_first_of(" \t\n\r\f\v;)") != std::string_view::npos)
      return invalid("has white space, `;` or `)` in its `===` version");
    if (auto v = Version::parse(rest)) {
      spec.version_ = std::move(*v);
      spec.has_version_ = true;
    }
    return spec;
  }

  bool equality = spec.op_ == Operator::equal || spec.op_ == Operator::not_equal;
  if (rest.ends_with(".*")) {
    if (!equality) return invalid("uses a `.*` wildcard, which only `==` and `!=` allow");
    auto prefix = rest.substr(0, rest.size() - 2);
    auto v = Version::parse(prefix);
    bool plain = prefix.find_first_not_of("0123456789.!vV") == std::string_view::npos;
    if (!plain || !v)
      return invalid("has a `.*` wildcard after something other than a release such as `1.2`");
    spec.version_ = std::move(*v);
    spec.has_version_ = true;
    spec.wildcard_ = true;
    return spec;
  }

  auto v = Version::parse(rest);
  if (!v) return invalid("has an invalid version: " + v.error().message);
  if (!v->local().empty() && !equality)
    return invalid("has a local version label (`+" + v->local() + "`), which only `==` and `!=` allow");
  if (spec.op_ == Operator::compatible && v->release().size() < 2)
    return invalid("needs at least two release segments (for example `~=" + std::string(rest) + ".0`)");
  spec.version_ = std::move(*v);
  spec.has_version_ = true;
  return spec;
}

bool Specifier::allows_prereleases() const {
  if (prereleases_ != Prereleases::implied) return prereleases_ == Prereleases::include;
  if (op_ == Operator::not_equal || wildcard_ || !has_version_) return false;
  return version_.is_prerelease();
}

bool Specifier::matches_text(std::string_view raw) const { return lowered(raw) == lowered(text_); }

bool Specifier::matches(const Version& v) const {
  const Version& spec = version_;
  auto equal = [&] {
    if (wildcard_) return release_starts_with(v, spec.epoch(), spec.release());
    if (!spec.local().empty()) return v == spec;
    return v.public_version() == spec;
  };
  switch (op_) {
    case Operator::compatible:
      return v.public_version() >= spec &&
             release_starts_with(v, spec.epoch(), spec.release().first(spec.release().size() - 1));
    case Operator::equal: return equal();
    case Operator::not_equal: return !equal();
    case Operator::less_equal: return v.public_version() <= spec;
    case Operator::greater_equal: return v.public_version() >= spec;
    case Operator::less:
      // `<V` must not admit pre-releases of V itself unless V is one: for `<1.0` that is 1.0rc1 or
      // 1.0.dev1, for `<1.0.post1` only 1.0.post1.devN (1.0.dev0 < 1.0.post1 is a plain match).
      if (!(v < spec)) return false;
      if (!spec.is_prerelease() && v.is_prerelease() && v.base_version() == spec.base_version()) {
        if (!spec.post()) return false;
        if (!v.pre() && v.post() == spec.post()) return false;
      }
      return true;
    case Operator::greater: {
      // `>V` must not admit post-releases of V itself unless V is one (`>1.0` refuses 1.0.post1,
      // `>1.0.dev1` takes 1.0.post0), nor V with a local label.
      if (!(v > spec)) return false;
      if (!spec.is_postrelease() && v.is_postrelease() && !spec.dev() && v.pre() == spec.pre() &&
          v.base_version() == spec.base_version())
        return false;
      if (!v.local().empty() && v.public_version() == spec) return false;
      return true;
    }
    case Operator::arbitrary: return matches_text(v.str());
  }
  return false;
}

bool Specifier::contains(const Version& version, Prereleases prereleases) const {
  Item item{&version, std::nullopt};
  return !filter_one(*this, prereleases_, std::span(&item, 1), prereleases).empty();
}

bool Specifier::contains(std::string_view version, Prereleases prereleases) const {
  auto parsed = Version::parse(version);
  Item item{parsed ? &*parsed : nullptr, version};
  return !filter_one(*this, prereleases_, std::span(&item, 1), prereleases).empty();
}

std::vector<Version> Specifier::filter(std::span<const Version> versions, Prereleases prereleases) const {
  auto items = items_of(versions);
  return pick(versions, filter_one(*this, prereleases_, items, prereleases));
}

std::vector<std::string> Specifier::filter(std::span<const std::string> versions, Prereleases prereleases) const {
  std::vector<std::optional<Version>> parsed;
  auto items = items_of(versions, parsed);
  return pick(versions, filter_one(*this, prereleases_, items, prereleases));
}

std::string Specifier::canonical_key() const {
  std::string op = to_string(op_);
  if (op_ == Operator::arbitrary) return op + lowered(text_);
  if (wildcard_) return op + canonical_version(version_, false) + ".*";
  return op + canonical_version(version_, op_ != Operator::compatible);
}

bool operator==(const Specifier& a, const Specifier& b) { return a.canonical_key() == b.canonical_key(); }

Result<SpecifierSet> SpecifierSet::parse(std::string_view text, Prereleases prereleases) {
  SpecifierSet set;
  set.prereleases_ = prereleases;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!detail::strip_whitespace(item).empty()) {
      set.specs_.push_back(TRY_CONTEXT(Specifier::parse(item), "in `" + util::printable_excerpt(text) + "`"));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

Prereleases SpecifierSet::prerelease_policy() const {
  if (prereleases_ != Prereleases::implied) return prereleases_;
  for (const auto& s : specs_)
    if (s.allows_prereleases()) return Prereleases::include;
  return Prereleases::implied;
}

bool SpecifierSet::contains(const Version& version, Prereleases prereleases, Installed installed) const {
  if (installed == Installed::yes && version.is_prerelease()) prereleases = Prereleases::include;
  Item item{&version, std::nullopt};
  return !filter_set(specs_, prerelease_policy(), std::span(&item, 1), prereleases).empty();
}

bool SpecifierSet::contains(std::string_view version, Prereleases prereleases, Installed installed) const {
  auto parsed = Version::parse(version);
  if (installed == Installed::yes && parsed && parsed->is_prerelease()) prereleases = Prereleases::include;
  Item item{parsed ? &*parsed : nullptr, version};
  return !filter_set(specs_, prerelease_policy(), std::span(&item, 1), prereleases).empty();
}

std::vector<Version> SpecifierSet::filter(std::span<const Version> versions, Prereleases prereleases) const {
  auto items = items_of(versions);
  return pick(versions, filter_set(specs_, prerelease_policy(), items, prereleases));
}

std::vector<std::string> SpecifierSet::filter(std::span<const std::string> versions,
                                              Prereleases prereleases) const {
  std::vector<std::optional<Version>> parsed;
  auto items = items_of(versions, parsed);
  return pick(versions, filter_set(specs_, prerelease_policy(), items, prereleases));
}

std::string SpecifierSet::str() const {
  std::set<std::string> parts;
  for (const auto& s : specs_) parts.insert(s.str());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

bool operator==(const SpecifierSet& a, const SpecifierSet& b) {
  auto keys = [](const SpecifierSet& s) {
    std::set<std::string> k;
    for (const auto& spec : s.specs_) k.insert(spec.canonical_key());
    return k;
  };
  return keys(a) == keys(b);
}

}  // namespace mlpack::pypi
