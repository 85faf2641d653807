#include "pyresolve/cuda.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>

#include "pypi/name.hpp"
#include "pypi/requirement.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::pyresolve {

using util::ErrorKind;

namespace {

// nvidia-* projects that are Python code only (no CUDA library in them).
constexpr std::string_view kPythonOnly[] = {"nvidia-ml-py", "nvidia-ml-py3", "nvidia-pyindex"};

std::string major_of(const std::string& cuda) { return cuda.substr(0, cuda.find('.')); }

}  // namespace

std::optional<int> nvidia_cuda_major(std::string_view written) {
  const std::string name = pypi::normalize_name(written);
  if (!name.starts_with("nvidia-")) return std::nullopt;
  auto dash = name.rfind('-');
  if (dash <= 6) return std::nullopt;
  std::string_view suffix = std::string_view(name).substr(dash + 1);
  if (!suffix.starts_with("cu") || suffix.size() < 3 || suffix.size() > 4) return std::nullopt;
  int major = 0;
  auto digits = suffix.substr(2);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), major);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return major;
}

bool is_nvidia_cuda_wheel(std::string_view written) {
  const std::string name = pypi::normalize_name(written);
  if (!name.starts_with("nvidia-")) return false;
  return std::find(std::begin(kPythonOnly), std::end(kPythonOnly), name) == std::end(kPythonOnly);
}

std::vector<std::string> requirement_chain(const std::vector<lock::Package>& packages, std::string_view wanted,
                                           const std::map<std::string, std::string>& roots) {
  std::map<std::string, const lock::Package*> by_name;
  for (const auto& p : packages)
    if (p.ecosystem == "pypi") by_name.emplace(pypi::normalize_name(p.name), &p);
  const std::string target = pypi::normalize_name(wanted);
  auto shown = [&](const std::string& name) {
    auto it = by_name.find(name);
    return it == by_name.end() ? name : it->second->name + " " + it->second->version;
  };
  // Breadth first from every requested package, in name order, so the chain is the shortest and
  // the same every run.
  std::map<std::string, std::string> parent;
  std::deque<std::string> queue;
  for (const auto& [name, p] : by_name)
    if (p->extra.contains("requested")) {
      parent.emplace(name, "");
      queue.push_back(name);
    }
  while (!queue.empty() && !parent.contains(target)) {
    auto name = queue.front();
    queue.pop_front();
    auto it = by_name.find(name);
    if (it == by_name.end()) continue;
    std::vector<std::string> next;
    for (const auto& text : it->second->depends)
      if (auto req = pypi::Requirement::parse(text)) next.push_back(req->normalized_name());
    std::sort(next.begin(), next.end());
    for (const auto& n : next)
      if (by_name.contains(n) && parent.emplace(n, name).second) queue.push_back(n);
  }
  if (!parent.contains(target)) return {shown(target)};
  std::vector<std::string> chain;
  for (std::string at = target; !at.empty(); at = parent.at(at)) chain.push_back(shown(at));
  std::reverse(chain.begin(), chain.end());
  // The requested one starts as the project asked for it, when known.
  const std::string first = pypi::normalize_name(chain.front().substr(0, chain.front().find(' ')));
  if (auto r = roots.find(first); r != roots.end()) chain.insert(chain.begin(), r->second);
  return chain;
}

Result<void> check_cuda_wheels(const std::vector<lock::Package>& packages, const CudaCheck& check) {
  std::vector<std::string> problems;
  std::vector<const lock::Package*> sorted;
  for (const auto& p : packages)
    if (p.ecosystem == "pypi") sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const auto* p : sorted) {
    if (!is_nvidia_cuda_wheel(p->name)) continue;
    auto major = nvidia_cuda_major(p->name);
    if (check.cuda && (!major || std::to_string(*major) == major_of(*check.cuda))) continue;
    std::string what = p->name + " " + p->version + (major ? " (CUDA " + std::to_string(*major) + ")" : std::string());
    problems.push_back(what + ", pulled in by " + util::join(requirement_chain(packages, p->name, check.roots), " → "));
  }
  if (problems.empty()) return {};
  std::string head = "the Python packages need CUDA libraries, but the project's CUDA is " +
                     (check.cuda ? *check.cuda : std::string("none")) +
                     (check.reason.empty() ? std::string() : " (" + check.reason + ")") + ": ";
  std::string hint = check.cuda ? "; require builds for CUDA " + major_of(*check.cuda) +
                                      ", or choose the CUDA they need with `cuda:` in mlpack.yaml or --cuda"
                                : "; remove what pulls them in, or choose a CUDA with `cuda:` in mlpack.yaml or --cuda";
  const std::size_t shown = std::min<std::size_t>(problems.size(), 5);
  std::string list = util::join(std::vector<std::string>(problems.begin(), problems.begin() + shown), "; ");
  if (problems.size() > shown) list += "; and " + std::to_string(problems.size() - shown) + " more";
  return util::fail(ErrorKind::unsatisfiable, head + list + hint);
}

}  // namespace mlpack::pyresolve
