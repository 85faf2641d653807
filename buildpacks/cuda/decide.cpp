#include <algorithm>
#include <charconv>
#include <sstream>

#include "buildpacks/cuda/cuda.hpp"
#include "buildpacks/cuda/tables.hpp"
#include "util/expected.hpp"

namespace mlpack::buildpacks::cuda {

using facts::CudaDecision;
using facts::CudaHint;
using util::ErrorKind;

namespace {

// "12.1" → {12, 1}; "12" → {12, -1}; anything else: none.
std::optional<std::pair<int, int>> split(std::string_view v) {
  auto dot = v.find('.');
  auto num = [](std::string_view s) -> std::optional<int> {
    int n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return n;
  };
  auto major = num(v.substr(0, dot));
  if (!major) return std::nullopt;
  if (dot == std::string_view::npos) return std::pair{*major, -1};
  auto minor = num(v.substr(dot + 1));
  if (!minor) return std::nullopt;
  return std::pair{*major, *minor};
}

bool newer(std::string_view a, std::string_view b) {
  auto x = split(a), y = split(b);
  return x && y && *x > *y;
}

// Whether two explicit variants can both hold.
bool agree(const CudaHint& a, const CudaHint& b) {
  if ((a.version == "none") != (b.version == "none")) return false;
  if (a.version == "none") return true;
  auto x = split(a.version), y = split(b.version);
  if (!x || !y || x->first != y->first) return false;
  return x->second < 0 || y->second < 0 || x->second == y->second;
}

std::string variant(const CudaHint& h) {
  if (h.version == "none") return "a CPU build";
  return "CUDA " + h.version;
}

std::string place(const CudaHint& h) { return h.package + " (" + h.where + ")"; }

}  // namespace

Result<std::string> parse_setting(std::string_view text) {
  std::string v(text);
  if (v == "auto" || v == "none") return v;
  auto xy = split(v);
  if (!xy || xy->second < 0 || v.find_first_not_of("0123456789.") != std::string::npos)
    return util::fail(ErrorKind::invalid_input, "invalid CUDA setting `" + v + "`: expected auto, none or X.Y (e.g. 12.1)");
  if (!driver_floor(v))
    return util::fail(ErrorKind::invalid_input, "CUDA " + v +
                                                    " is not one mlpack knows the minimum driver of (10.0, 10.1, "
                                                    "10.2, 11.x, 12.x and 13.x)");
  return v;
}

std::string compact(std::string_view cuda) {
  std::string out;
  for (char c : cuda)
    if (c != '.') out += c;
  return out;
}

Result<CudaDecision> decide(const Setting& setting, const std::vector<CudaHint>& hints) {
  CudaDecision d;
  d.setting = TRY(parse_setting(setting.value));
  std::string who = setting.where.empty() ? std::string("the default") : setting.where;
  if (d.setting == "none") {
    d.reason = "`cuda: none` (" + who + ")";
    if (setting.where == "--cuda") d.reason = "--cuda none on the command line";
    return d;
  }
  if (d.setting != "auto") {
    d.version = d.setting;
    d.reason = setting.where == "--cuda" ? "--cuda " + d.setting + " on the command line"
                                         : "`cuda: \"" + d.setting + "\"` (" + who + ")";
    return d;
  }

  std::vector<const CudaHint*> explicit_hints, implied;
  for (const auto& h : hints) {
    if (!split(h.version) && h.version != "none") continue;  // nothing mlpack can use
    (h.explicit_variant ? explicit_hints : implied).push_back(&h);
  }
  for (std::size_t i = 0; i < explicit_hints.size(); ++i)
    for (std::size_t j = i + 1; j < explicit_hints.size(); ++j)
      if (!agree(*explicit_hints[i], *explicit_hints[j]))
        return util::fail(ErrorKind::invalid_input,
                          "the project asks for two CUDA variants: " + variant(*explicit_hints[i]) + " by " +
                              place(*explicit_hints[i]) + " and " + variant(*explicit_hints[j]) + " by " +
                              place(*explicit_hints[j]) +
                              "; choose one with `cuda:` in mlpack.yaml or --cuda, or make them agree");

  if (!explicit_hints.empty()) {
    // The most precise of the agreeing variants: X.Y over a major alone.
    const CudaHint* best = explicit_hints.front();
    for (const auto* h : explicit_hints)
      if (split(h->version) && split(h->version)->second >= 0 && split(best->version)->second < 0) best = h;
    std::string reason;
    for (const auto* h : explicit_hints) reason += (reason.empty() ? "" : ", ") + place(*h);
    if (best->version == "none") {
      d.reason = reason + " (a CPU build)";
      return d;
    }
    auto [major, minor] = *split(best->version);
    if (minor >= 0) {
      d.version = best->version;
      d.reason = reason;
      return d;
    }
    // A major alone: the newest X.Y of that major the project implies, else X.0.
    const CudaHint* refine = nullptr;
    for (const auto* h : implied)
      if (auto v = split(h->version); v && v->first == major && v->second >= 0 &&
                                       (!refine || newer(h->version, refine->version)))
        refine = h;
    if (refine) {
      d.version = std::to_string(major) + "." + std::to_string(split(refine->version)->second);
      d.reason = reason + "; " + d.version.value() + " from " + place(*refine);
    } else {
      d.version = std::to_string(major) + ".0";
      d.reason = reason + " (CUDA " + std::to_string(major) + ", any " + std::to_string(major) + ".x)";
    }
    return d;
  }

  const CudaHint* best = nullptr;
  for (const auto* h : implied)
    if (split(h->version) && split(h->version)->second >= 0 && (!best || newer(h->version, best->version))) best = h;
  if (best) {
    d.version = best->version;
    d.reason = place(*best) + ": CUDA " + best->version + " by default on PyPI";
    return d;
  }
  d.reason = "no GPU framework or CUDA variant in the project";
  return d;
}

Result<ImageNeeds> image_needs(std::string_view version) {
  auto floor = driver_floor(version);
  if (!floor)
    return util::fail(ErrorKind::invalid_input, "no minimum driver known for CUDA " + std::string(version));
  ImageNeeds out;
  out.env = {{"NVIDIA_REQUIRE_CUDA", "cuda>=" + std::string(version)},
             {"NVIDIA_VISIBLE_DEVICES", "all"},
             {"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"}};
  out.labels[std::string(label_version)] = std::string(version);
  out.labels[std::string(label_driver)] = *floor;
  return out;
}

Result<int> compare_drivers(std::string_view a, std::string_view b) {
  auto parts = [](std::string_view s) -> Result<std::vector<long>> {
    std::vector<long> out;
    std::size_t start = 0;
    while (true) {
      auto dot = s.find('.', start);
      auto part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      long n = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
      if (part.empty() || ec != std::errc() || p != part.data() + part.size())
        return util::fail(ErrorKind::invalid_input,
                          "invalid driver version `" + std::string(s) + "`: expected numbers separated by dots, e.g. 535.104.05");
      out.push_back(n);
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return out;
  };
  auto x = TRY(parts(a));
  auto y = TRY(parts(b));
  std::size_t n = std::max(x.size(), y.size());
  x.resize(n, 0);
  y.resize(n, 0);
  return x < y ? -1 : x > y ? 1 : 0;
}

Result<GpuCheck> check_gpu(const std::map<std::string, std::string>& labels, const std::vector<std::string>& env,
                           const std::optional<std::string>& driver, std::string_view driver_source) {
  GpuCheck out;
  out.driver = driver;
  out.driver_source = std::string(driver_source);
  if (auto it = labels.find(std::string(label_version)); it != labels.end()) out.cuda = it->second;
  if (auto it = labels.find(std::string(label_driver)); it != labels.end()) out.driver_min = it->second;
  if (!out.cuda) {
    // An image mlpack did not label may still say what it needs (nvidia/cuda images do).
    for (const auto& e : env)
      if (e.starts_with("NVIDIA_REQUIRE_CUDA=")) {
        auto value = e.substr(20);
        auto ge = value.find("cuda>=");
        if (ge != std::string::npos) {
          auto v = value.substr(ge + 6);
          v = v.substr(0, v.find_first_of(" ,"));
          out.cuda = v;
        }
      }
  }
  if (!out.cuda) {
    out.reason = "the image needs no CUDA (no " + std::string(label_version) + " label): it runs without a GPU driver";
    return out;
  }
  if (!out.driver_min) {
    auto xy = out.cuda->substr(0, out.cuda->find('.', out.cuda->find('.') + 1));  // "12.2.0" → "12.2"
    out.driver_min = driver_floor(xy);
    if (!out.driver_min)
      return util::fail(ErrorKind::invalid_input, "the image needs CUDA " + *out.cuda +
                                                      " but says no minimum driver, and mlpack knows none for it");
  }
  if (!driver) {
    out.reason = "the image needs CUDA " + *out.cuda + ", which runs on Linux drivers " + *out.driver_min +
                 " and newer; no driver to check against (no --driver, and nvidia-smi did not answer)";
    return out;
  }
  int cmp = TRY(compare_drivers(*driver, *out.driver_min));
  out.runs = cmp >= 0;
  std::string from = driver_source.empty() ? std::string() : " (" + std::string(driver_source) + ")";
  out.reason = out.runs ? "driver " + *driver + from + " runs CUDA " + *out.cuda + ": it needs " + *out.driver_min +
                              " or newer"
                        : "driver " + *driver + from + " is older than " + *out.driver_min + ", the minimum for CUDA " +
                              *out.cuda + "; upgrade the driver, or build with an older `cuda:`";
  return out;
}

}  // namespace mlpack::buildpacks::cuda
