#include "buildpacks/cuda/hints.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include "buildpacks/cuda/tables.hpp"
#include "conda/match_spec.hpp"
#include "pypi/marker.hpp"
#include "pypi/name.hpp"
#include "pypi/specifier.hpp"
#include "pypi/version.hpp"

namespace mlpack::buildpacks::cuda {

using facts::CudaHint;

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// PyTorch's backend digits: "121" → "12.1", "118" → "11.8", "92" → "9.2", "1210" → "12.10".
std::optional<std::string> backend_version(std::string_view digits) {
  if (!all_digits(digits) || digits.size() < 2 || digits.size() > 4) return std::nullopt;
  std::size_t major = digits.size() == 2 ? 1 : 2;
  return std::string(digits.substr(0, major)) + "." + std::string(digits.substr(major));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The local label of an `==` pin ("cu121" of "==2.3.1+cu121"), lower case.
std::string pinned_local(const pypi::SpecifierSet& set) {
  for (const auto& s : set.specifiers()) {
    if (s.op() != pypi::Operator::equal && s.op() != pypi::Operator::arbitrary) continue;
    auto plus = s.version_text().find('+');
    if (plus != std::string::npos) return lower(s.version_text().substr(plus + 1));
  }
  return {};
}

// X.Y of the release of `v` ("12.1.105" → "12.1").
std::string major_minor(const pypi::Version& v) {
  auto r = v.release();
  if (r.empty()) return {};
  return std::to_string(r[0]) + "." + std::to_string(r.size() > 1 ? r[1] : 0);
}

// The newest version `spec` allows among the releases of `package`'s rows (X.Y.0 to X.Y.20) and the
// versions the specifier itself names; none when it allows none of them.
std::optional<pypi::Version> newest_allowed(std::string_view package, const pypi::SpecifierSet& spec) {
  std::vector<pypi::Version> probes;
  for (const auto& row : framework_defaults()) {
    if (row.package != package) continue;
    for (int patch = 0; patch <= 20; ++patch)
      if (auto v = pypi::Version::parse(std::string(row.since) + "." + std::to_string(patch))) probes.push_back(*v);
  }
  for (const auto& s : spec.specifiers())
    if (auto v = pypi::Version::parse(s.version_text()); v && !s.is_wildcard()) probes.push_back(v->public_version());
  std::optional<pypi::Version> best;
  for (const auto& v : probes)
    if (spec.contains(v, pypi::Prereleases::include) && (!best || v > *best)) best = v;
  return best;
}

// The row of `package` (with `extras` as asked) for release `v`.
const FrameworkDefault* framework_row(std::string_view package, const std::vector<std::string>& extras,
                                      const pypi::Version& v) {
  const FrameworkDefault* found = nullptr;
  for (const auto& row : framework_defaults()) {
    if (row.package != package) continue;
    if (!row.extra.empty() && std::none_of(extras.begin(), extras.end(), [&](const std::string& e) {
          return pypi::normalize_name(e) == row.extra;
        }))
      continue;
    auto since = pypi::Version::parse(row.since);
    if (since && v.public_version() >= *since) found = &row;
  }
  return found;
}

// Whether a requirement can apply in a Linux image: its marker holds for some CPython 3.8–3.14 on
// x86_64 or aarch64 (a `sys_platform == "darwin"` line names no variant of the image).
bool applies_on_linux(const detectors::PythonRequirement& r) {
  if (!r.requirement.marker) return true;
  for (const char* machine : {"x86_64", "aarch64"})
    for (int minor = 8; minor <= 14; ++minor) {
      pypi::MarkerEnvironment env;
      std::string xy = "3." + std::to_string(minor);
      env.values = {{"os_name", "posix"},          {"sys_platform", "linux"},
                    {"platform_system", "Linux"},  {"platform_machine", machine},
                    {"python_version", xy},        {"python_full_version", xy + ".0"},
                    {"implementation_name", "cpython"}, {"implementation_version", xy + ".0"},
                    {"platform_python_implementation", "CPython"}, {"platform_release", ""},
                    {"platform_version", ""}};
      if (r.requirement.marker->evaluate(env)) return true;
    }
  return false;
}

std::string joined(std::string_view name, std::string_view specifier) {
  return std::string(name) + std::string(specifier);
}

}  // namespace

std::vector<CudaHint> pypi_hints(std::string_view written_name, const std::vector<std::string>& extras,
                                 std::string_view specifier, std::string_view where) {
  std::vector<CudaHint> out;
  const std::string name = pypi::normalize_name(written_name);
  const std::string what = joined(written_name, specifier);
  auto spec = pypi::SpecifierSet::parse(specifier);

  // A local version names the build: +cu121, +cpu, jaxlib's +cuda12.cudnn89.
  if (spec) {
    std::string local = pinned_local(*spec);
    std::string head = local.substr(0, local.find('.'));
    if (head == "cpu") {
      out.push_back({"none", what, std::string(where), true});
      return out;
    }
    if (head.starts_with("cuda") && all_digits(head.substr(4))) {
      auto digits = head.substr(4);
      out.push_back({digits.size() <= 2 ? digits : *backend_version(digits), what, std::string(where), true});
      return out;
    }
    if (head.starts_with("cu") && backend_version(head.substr(2))) {
      out.push_back({*backend_version(head.substr(2)), what, std::string(where), true});
      return out;
    }
  }

  // nvidia-*-cuNN: the CUDA major, and for the wheels versioned as CUDA itself the X.Y of a pin.
  if (name.starts_with("nvidia-")) {
    auto dash = name.rfind('-');
    auto suffix = name.substr(dash + 1);
    if (dash > 7 && suffix.starts_with("cu") && all_digits(suffix.substr(2)) && suffix.size() <= 4) {
      std::string major = suffix.substr(2);
      out.push_back({major, what, std::string(where), true});
      bool cuda_versioned = name.starts_with("nvidia-cuda-") || name.starts_with("nvidia-nvjitlink-");
      if (cuda_versioned && spec)
        for (const auto& s : spec->specifiers())
          if (s.op() == pypi::Operator::equal && !s.is_wildcard())
            if (auto v = pypi::Version::parse(s.version_text()); v && !v->release().empty() &&
                                                               std::to_string(v->release()[0]) == major)
              out.push_back({major_minor(*v), what, std::string(where), false});
    }
    return out;
  }

  // cupy-cuda12x, cupy-cuda117.
  if (name.starts_with("cupy-cuda")) {
    std::string tag = name.substr(9);
    if (tag.size() == 3 && tag.ends_with('x') && all_digits(tag.substr(0, 2)))
      out.push_back({tag.substr(0, 2), what, std::string(where), true});
    else if (auto v = backend_version(tag); v && tag.size() == 3)
      out.push_back({*v, what, std::string(where), true});
    return out;
  }
  // jax-cuda12-plugin, jax-cuda12-pjrt.
  if (name.starts_with("jax-cuda")) {
    auto rest = name.substr(8);
    auto digits = rest.substr(0, rest.find('-'));
    if (all_digits(digits)) out.push_back({digits, what, std::string(where), true});
    return out;
  }

  // jax[cuda12], jax[cuda12_pip], jax[cuda12-local].
  if (name == "jax" || name == "jaxlib") {
    for (const auto& e : extras) {
      std::string extra = pypi::normalize_name(e);
      if (!extra.starts_with("cuda")) continue;
      std::string digits = extra.substr(4, extra.find('-') == std::string::npos ? std::string::npos : extra.find('-') - 4);
      if (all_digits(digits) && digits.size() <= 2) {
        std::string shown = std::string(written_name) + "[" + e + "]" + std::string(specifier);
        out.push_back({digits, shown, std::string(where), true});
      }
    }
    return out;
  }

  // A framework's default CUDA on PyPI.
  if (!spec) return out;
  auto newest = newest_allowed(name, *spec);
  if (!newest) return out;
  if (const auto* row = framework_row(name, extras, *newest)) {
    std::string shown = std::string(written_name);
    if (!row->extra.empty()) shown += "[" + std::string(row->extra) + "]";
    shown += std::string(specifier);
    out.push_back({std::string(row->cuda), shown, std::string(where), false});
  }
  return out;
}

std::vector<CudaHint> index_hints(std::string_view url, std::string_view where) {
  std::string path(url);
  if (auto q = path.find_first_of("?#"); q != std::string::npos) path.resize(q);
  std::vector<std::string> segments;
  std::stringstream ss(path);
  for (std::string s; std::getline(ss, s, '/');)
    if (!s.empty()) segments.push_back(lower(s));
  auto whl = std::find(segments.begin(), segments.end(), "whl");
  if (whl == segments.end()) return {};
  for (auto it = whl + 1; it != segments.end(); ++it) {
    std::string what = "the PyTorch index " + std::string(url);
    if (*it == "cpu") return {{"none", what, std::string(where), true}};
    if (it->starts_with("cu"))
      if (auto v = backend_version(it->substr(2))) return {{*v, what, std::string(where), true}};
  }
  return {};
}

std::vector<CudaHint> conda_hints(std::string_view text, std::string_view where) {
  auto spec = conda::MatchSpec::parse(text);
  if (!spec) return {};
  const std::string& name = spec->name();
  if (name != "cuda-version" && name != "pytorch-cuda" && name != "cudatoolkit") return {};
  const auto& version = spec->version();
  if (!version || !(version->is_exact() || version->is_prefix()) || !version->version()) return {};
  // "12.1.0" → "12.1"; "12" stays a major.
  std::string v = version->version()->str();
  std::vector<std::string> parts;
  std::stringstream ss(v);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  if (parts.empty() || !all_digits(parts[0])) return {};
  std::string cuda = parts[0];
  if (parts.size() > 1 && all_digits(parts[1])) cuda += "." + parts[1];
  return {{cuda, std::string(text), std::string(where), true}};
}

std::vector<CudaHint> requirements_hints(const detectors::RequirementsFile& file,
                                         const std::filesystem::path& project_root) {
  std::vector<CudaHint> out;
  for (const auto& r : file.requirements) {
    if (r.requirement.name.empty() || !applies_on_linux(r)) continue;
    std::string where = r.file + ":" + std::to_string(r.line);
    for (auto& h : pypi_hints(r.requirement.name, r.requirement.extras, r.requirement.specifier.str(), where))
      out.push_back(std::move(h));
  }
  // The line an index is written on: the first line of the files read that holds its URL.
  auto located = [&](const std::string& url) {
    for (const auto& f : file.files) {
      std::ifstream in(project_root / f);
      int n = 0;
      for (std::string line; std::getline(in, line);) {
        ++n;
        if (line.find(url) != std::string::npos) return f + ":" + std::to_string(n);
      }
    }
    return file.files.empty() ? std::string("requirements.txt") : file.files.front();
  };
  for (const auto& url : file.index_urls)
    for (auto& h : index_hints(url, located(url))) out.push_back(std::move(h));
  for (const auto& url : file.find_links)
    for (auto& h : index_hints(url, located(url))) out.push_back(std::move(h));
  return out;
}

std::vector<CudaHint> pyproject_hints(const detectors::PyProject& project, const std::vector<std::string>& extras,
                                      const std::vector<std::string>& groups) {
  std::vector<CudaHint> out;
  auto add = [&](const std::vector<detectors::PythonRequirement>& list) {
    for (const auto& r : list) {
      if (r.requirement.name.empty() || !applies_on_linux(r)) continue;
      std::string where = r.file + ":" + std::to_string(r.line);
      for (auto& h : pypi_hints(r.requirement.name, r.requirement.extras, r.requirement.specifier.str(), where))
        out.push_back(std::move(h));
    }
  };
  add(project.dependencies);
  for (const auto& e : extras)
    if (auto it = project.optional_dependencies.find(pypi::normalize_name(e)); it != project.optional_dependencies.end())
      add(it->second);
  for (const auto& g : groups)
    if (auto it = project.dependency_groups.find(pypi::normalize_name(g)); it != project.dependency_groups.end())
      add(it->second);
  return out;
}

void add_hints(FactBoard& board, std::vector<CudaHint> hints) {
  auto all = board.get_or(facts::cuda_hints);
  for (auto& h : hints) all.push_back(std::move(h));
  board.publish(facts::cuda_hints, std::move(all));
}

}  // namespace mlpack::buildpacks::cuda
