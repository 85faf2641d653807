#include "pypi/tags.hpp"

#include <algorithm>

#include "util/text.hpp"

namespace mlpack::pypi {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

bool is_lower_word(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool is_valid_interpreter(std::string_view s) {
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
  return std::all_of(s.begin(), s.end(), is_lower_word);
}

// pip treats anything but these as the legacy minimum "2.17" series for manylinux.
int oldest_glibc_minor(std::string_view arch) {
  return (arch == "x86_64" || arch == "i686") ? 5 : 17;
}

// Where glibc 2.x ends when the target is glibc 3.x (packaging's assumption; no
// such glibc exists yet).
constexpr int kLastGlibc2Minor = 50;

std::string py_version_string(std::span<const int> v) {
  std::string s;
  for (int part : v) s += std::to_string(part);
  return s;
}

}  // namespace

std::string Tag::to_string() const { return interpreter + "-" + abi + "-" + platform; }

util::Result<std::vector<Tag>> parse_tag(std::string_view tag_set) {
  auto bad = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_input,
                      "invalid tag `" + util::printable_excerpt(tag_set) + "`: " + std::string(why));
  };
  std::string lower(tag_set);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto parts = split(lower, '-');
  if (parts.size() != 3) return bad("expected interpreter-abi-platform");
  std::vector<std::vector<std::string_view>> fields;
  for (auto part : parts) {
    auto values = split(part, '.');
    for (auto v : values) {
      if (v.empty()) return bad("empty component");
    }
    fields.push_back(std::move(values));
  }
  for (auto interp : fields[0]) {
    if (!is_valid_interpreter(interp)) return bad("invalid interpreter `" + util::printable_excerpt(interp) + "`");
  }
  for (std::size_t f = 1; f < 3; ++f) {
    for (auto v : fields[f]) {
      if (!std::all_of(v.begin(), v.end(), is_lower_word)) {
        return bad("invalid character in `" + util::printable_excerpt(v) + "`");
      }
    }
  }
  std::vector<Tag> out;
  for (auto i : fields[0])
    for (auto a : fields[1])
      for (auto p : fields[2]) out.push_back(Tag{std::string(i), std::string(a), std::string(p)});
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> linux_archs(std::string_view arch) {
  if (arch == "armv8l") return {"armv8l", "armv7l"};
  return {std::string(arch)};
}

std::vector<std::string> manylinux_platforms(std::pair<int, int> glibc,
                                             std::span<const std::string> archs) {
  std::vector<std::string> out;
  for (const auto& arch : archs) {
    const int oldest = oldest_glibc_minor(arch);
    for (int major = glibc.first; major >= 2; --major) {
      const int top = major == glibc.first ? glibc.second : kLastGlibc2Minor;
      const int bottom = major == 2 ? oldest : 0;
      for (int minor = top; minor >= bottom; --minor) {
        out.push_back("manylinux_" + std::to_string(major) + "_" + std::to_string(minor) + "_" + arch);
        if (major != 2) continue;
        if (minor == 17) out.push_back("manylinux2014_" + arch);
        if (minor == 12) out.push_back("manylinux2010_" + arch);
        if (minor == 5) out.push_back("manylinux1_" + arch);
      }
    }
  }
  return out;
}

std::vector<std::string> musllinux_platforms(std::pair<int, int> musl,
                                             std::span<const std::string> archs) {
  std::vector<std::string> out;
  for (const auto& arch : archs) {
    for (int minor = musl.second; minor >= 0; --minor) {
      out.push_back("musllinux_" + std::to_string(musl.first) + "_" + std::to_string(minor) + "_" + arch);
    }
  }
  return out;
}

std::vector<std::string> platform_tags(const Target& target) {
  const auto archs = linux_archs(target.arch);
  std::vector<std::string> native;
  for (const auto& arch : archs) native.push_back("linux_" + arch);
  std::vector<std::string> out;
  if (target.native_linux == NativeLinuxTag::first) out = native;
  if (target.glibc) {
    auto many = manylinux_platforms(*target.glibc, archs);
    out.insert(out.end(), many.begin(), many.end());
  }
  if (target.musl) {
    auto musl = musllinux_platforms(*target.musl, archs);
    out.insert(out.end(), musl.begin(), musl.end());
  }
  if (target.native_linux == NativeLinuxTag::last) out.insert(out.end(), native.begin(), native.end());
  return out;
}

std::vector<Tag> cpython_tags(std::span<const int> python_version,
                              std::span<const std::string> abis,
                              std::span<const std::string> platforms) {
  const std::string interpreter = "cp" + py_version_string(python_version.first(std::min<std::size_t>(2, python_version.size())));
  const bool has_minor = python_version.size() > 1;
  const bool abi3_applies = has_minor && (python_version[0] > 3 || (python_version[0] == 3 && python_version[1] >= 2));
  // A free-threaded build (abi "cp313t") uses the free-threaded stable ABI.
  bool free_threaded = false;
  for (const auto& abi : abis) {
    if (abi == interpreter + "t") free_threaded = true;
  }
  const std::string stable = free_threaded ? "abi3t" : "abi3";

  std::vector<Tag> out;
  for (const auto& abi : abis) {
    if (abi == "abi3" || abi == "none") continue;
    for (const auto& p : platforms) out.push_back({interpreter, abi, p});
  }
  if (abi3_applies) {
    for (const auto& p : platforms) out.push_back({interpreter, stable, p});
  }
  for (const auto& p : platforms) out.push_back({interpreter, "none", p});
  if (abi3_applies) {
    for (int minor = python_version[1] - 1; minor >= 2; --minor) {
      const std::string older = "cp" + std::to_string(python_version[0]) + std::to_string(minor);
      for (const auto& p : platforms) out.push_back({older, stable, p});
    }
  }
  return out;
}

std::vector<Tag> generic_tags(std::string_view interpreter, std::vector<std::string> abis,
                              std::span<const std::string> platforms) {
  if (std::find(abis.begin(), abis.end(), "none") == abis.end()) abis.push_back("none");
  std::vector<Tag> out;
  for (const auto& abi : abis)
    for (const auto& p : platforms) out.push_back({std::string(interpreter), abi, p});
  return out;
}

std::vector<Tag> python_tags(std::span<const int> python_version, std::string_view interpreter,
                             std::span<const std::string> platforms) {
  // pyXY, pyX, pyX(Y-1) … pyX0
  std::vector<std::string> versions;
  const std::string major = std::to_string(python_version[0]);
  if (python_version.size() > 1) versions.push_back("py" + major + std::to_string(python_version[1]));
  versions.push_back("py" + major);
  if (python_version.size() > 1) {
    for (int minor = python_version[1] - 1; minor >= 0; --minor) {
      versions.push_back("py" + major + std::to_string(minor));
    }
  }
  std::vector<Tag> out;
  for (const auto& v : versions)
    for (const auto& p : platforms) out.push_back({v, "none", p});
  if (!interpreter.empty()) out.push_back({std::string(interpreter), "none", "any"});
  for (const auto& v : versions) out.push_back({v, "none", "any"});
  return out;
}

std::vector<Tag> compatible_tags(const Target& target) {
  const int version[] = {target.python_major, target.python_minor};
  const auto platforms = platform_tags(target);
  const std::string interpreter =
      target.implementation + std::to_string(target.python_major) + std::to_string(target.python_minor);
  std::vector<Tag> out;
  if (target.implementation == "cp") {
    const std::string abis[] = {interpreter};
    out = cpython_tags(version, abis, platforms);
  } else {
    out = generic_tags(interpreter, {}, platforms);
  }
  auto fallback = python_tags(version, interpreter, platforms);
  out.insert(out.end(), fallback.begin(), fallback.end());
  return out;
}

TagRanker::TagRanker(std::vector<Tag> supported) : supported_(std::move(supported)) {
  index_.reserve(supported_.size());
  for (std::size_t i = 0; i < supported_.size(); ++i) index_.emplace(supported_[i].to_string(), i);
}

std::optional<std::size_t> TagRanker::rank(std::span<const Tag> wheel_tags) const {
  std::optional<std::size_t> best;
  for (const auto& tag : wheel_tags) {
    auto it = index_.find(tag.to_string());
    if (it != index_.end() && (!best || it->second < *best)) best = it->second;
  }
  return best;
}

}  // namespace mlpack::pypi
