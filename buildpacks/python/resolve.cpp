// Detecting and resolving the Python part of a project.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "buildpacks/python/python.hpp"
#include "buildpacks/cuda/hints.hpp"
#include "buildpacks/python/variant.hpp"
#include "detectors/project_file.hpp"
#include "detectors/python_lockfiles.hpp"
#include "net/curl_client.hpp"
#include "pyindex/netrc.hpp"
#include "pypi/name.hpp"
#include "pyresolve/cuda.hpp"
#include "pyresolve/resolve.hpp"
#include "pypi/filename.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::python {

using util::ErrorKind;

bool Inputs::has_dependencies() const {
  if (lockfile) return true;
  if (requirements && !requirements->requirements.empty()) return true;
  return pyproject && pyproject->has_project;
}

Result<Inputs> detect(const fs::path& project_dir, const util::Environment& env) {
  // The detectors take paths relative to the project root, so the root itself must be absolute.
  std::error_code abs_ec;
  const fs::path project = fs::absolute(project_dir, abs_ec).lexically_normal();
  Inputs in;
  in.env = env;
  in.root = project;
  in.env_dir = detectors::environment_dir(project);
  // Present is enough: what is there but may not be read (a FIFO, a link out of the project) is
  // refused by the detectors, not skipped.
  if (detectors::project_file_present(in.env_dir / "requirements.txt")) {
    auto r = TRY(detectors::parse_requirements_file(in.env_dir / "requirements.txt", project,
                                                     detectors::RequirementsOptions{.environment = env}));
    for (const auto& f : r.files) in.files.push_back(f);
    in.requirements = std::move(r);
  }
  if (detectors::project_file_present(project / "pyproject.toml")) {
    auto p = TRY(detectors::parse_pyproject(project / "pyproject.toml", project));
    in.files.push_back("pyproject.toml");
    in.pyproject = std::move(p);
  }
  // A binder folder's lockfile wins over the root's (repo2docker reads the binder folder's
  // Pipfile / Pipfile.lock when there is one); else the root's, beside pyproject.toml.
  std::optional<std::string> lockfile;
  if (in.env_dir != project) {
    if (auto in_binder = TRY(find_lockfile(in.env_dir)))
      lockfile = (in.env_dir.lexically_relative(project) / *in_binder).generic_string();
  }
  if (!lockfile) lockfile = TRY(find_lockfile(project));
  // A Pipfile without its lock is what pipenv would lock: its packages, resolved here. A
  // requirements.txt beside it is what gets installed (the Pipfile is then not read).
  std::optional<detectors::Pipfile> pipfile;
  if (!lockfile && !in.requirements) {
    for (const auto& dir : {in.env_dir, project}) {
      if (!detectors::project_file_present(dir / "Pipfile")) continue;
      pipfile = TRY(detectors::parse_pipfile(dir / "Pipfile", project));
      break;
    }
  }
  if (pipfile) {
    for (const auto& f : pipfile->requirements.files) in.files.push_back(f);
    in.requirements = std::move(pipfile->requirements);
  }
  if (lockfile) {
    auto bytes = TRY(detectors::read_project_file(project / *lockfile, project, 64 << 20));
    in.lockfile_digest = util::Digest::sha256_of(bytes).str();
    in.files.push_back(*lockfile);
    in.lockfile = lockfile;
  }
  auto v = TRY(detectors::read_python_version(in.env_dir, project));
  if (v) {
    in.files.push_back(v->file);
    in.version_file = std::move(*v);
  } else if (pipfile && pipfile->python_version) {
    in.version_file = detectors::PythonVersionFile{*pipfile->python_version, in.requirements->files.front()};
  }
  return in;
}

std::string machine_for(std::string_view arch) {
  if (arch == "amd64") return "x86_64";
  if (arch == "arm64") return "aarch64";
  if (arch == "386") return "i686";
  if (arch == "arm") return "armv7l";
  return std::string(arch);  // ppc64le, s390x, riscv64 are spelt the same
}

namespace {

std::vector<std::string> env_list(const util::Environment& env, const char* name) {
  std::vector<std::string> out;
  if (auto v = env.non_empty(name))
    for (auto& part : util::split(*v, ' '))
      if (!util::trim(part).empty()) out.push_back(util::trim(part));
  return out;
}

}  // namespace

pyindex::IndexOptions index_options(const Inputs& inputs, const fs::path& cache_dir, util::TransferObserver* transfers) {
  pyindex::IndexOptions o;
  o.cache_dir = cache_dir / "pypi";
  o.transfers = transfers;
  o.netrc = pyindex::Netrc::default_path(inputs.env);
  std::vector<std::string> primary = env_list(inputs.env, "PIP_INDEX_URL");
  std::vector<std::string> extra = env_list(inputs.env, "PIP_EXTRA_INDEX_URL");
  o.find_links = env_list(inputs.env, "PIP_FIND_LINKS");
  if (inputs.requirements) {
    const auto& r = *inputs.requirements;
    if (r.index_url_set && !r.index_urls.empty()) {
      o.index_urls = r.index_urls;  // --index-url first, then the file's extras
    } else {
      o.index_urls = primary.empty() ? std::vector<std::string>{std::string(pyindex::default_index)} : primary;
      o.index_urls.insert(o.index_urls.end(), r.index_urls.begin(), r.index_urls.end());
    }
    o.no_index = r.no_index;
    o.find_links.insert(o.find_links.begin(), r.find_links.begin(), r.find_links.end());
  } else {
    o.index_urls = primary.empty() ? std::vector<std::string>{std::string(pyindex::default_index)} : primary;
  }
  o.index_urls.insert(o.index_urls.end(), extra.begin(), extra.end());
  if (o.no_index) o.index_urls.clear();
  return o;
}

std::optional<std::string> requested_python(const Inputs& inputs) {
  if (inputs.version_file) return inputs.version_file->version;
  return std::nullopt;
}

namespace {

nlohmann::json requirement_json(const detectors::PythonRequirement& r) {
  return {{"requirement", r.requirement.str()}, {"hashes", r.hashes}, {"path", r.path}, {"constraint", r.constraint}};
}

// The roots the selection asks for.
std::vector<const detectors::PythonRequirement*> selected(const Inputs& inputs, const Selection& selection,
                                                          std::vector<std::string>* unknown) {
  std::vector<const detectors::PythonRequirement*> out;
  // A requirement of a group (a Pipfile's [dev-packages]) only when --group names it.
  bool pipfile_dev = std::any_of(selection.groups.begin(), selection.groups.end(),
                                 [](const std::string& g) { return detectors::selects_pipfile_dev(g); });
  bool has_dev = false;
  if (inputs.requirements)
    for (const auto& r : inputs.requirements->requirements) {
      if (r.group == "dev") has_dev = true;
      if (r.group.empty() || (r.group == "dev" && pipfile_dev)) out.push_back(&r);
    }
  if (inputs.pyproject) {
    const auto& p = *inputs.pyproject;
    for (const auto& r : p.dependencies) out.push_back(&r);
    // The named lists of `table` (extras or groups); a name it lacks is reported as "<what> `name`".
    auto add_named = [&](const std::vector<std::string>& names, const auto& table, const std::string& what) {
      for (const auto& name : names) {
        auto it = table.find(pypi::normalize_name(name));
        if (it == table.end()) {
          if (what != "extra" && has_dev && detectors::selects_pipfile_dev(name)) continue;
          if (unknown) unknown->push_back(what + " `" + name + "`");
          continue;
        }
        for (const auto& r : it->second) out.push_back(&r);
      }
    };
    add_named(selection.extras, p.optional_dependencies, "extra");
    add_named(selection.groups, p.dependency_groups, "dependency group");
  }
  return out;
}

}  // namespace

nlohmann::json describe(const Inputs& inputs, const Selection& selection) {
  nlohmann::json reqs = nlohmann::json::array();
  for (const auto* r : selected(inputs, selection, nullptr)) reqs.push_back(requirement_json(*r));
  auto index = index_options(inputs, "");
  nlohmann::json doc = {{"requirements", reqs},
                        {"indexes", index.index_urls},
                        {"find_links", index.find_links},
                        {"no_index", index.no_index},
                        {"extras", selection.extras},
                        {"groups", selection.groups},
                        {"python", requested_python(inputs).value_or("")}};
  if (inputs.requirements) {
    doc["pre"] = inputs.requirements->pre;
    doc["only_binary"] = inputs.requirements->only_binary;
    doc["no_binary"] = inputs.requirements->no_binary;
  }
  if (inputs.pyproject && inputs.pyproject->requires_python) doc["requires_python"] = *inputs.pyproject->requires_python;
  if (inputs.lockfile) doc["lockfile"] = {{"file", *inputs.lockfile}, {"digest", inputs.lockfile_digest}};
  return doc;
}

namespace {

// PyTorch's backends on download.pytorch.org/whl/<backend>/ for Linux, newest first. Source:
// pytorch.org/get-started/previous-versions (the `--index-url` of each release's pip command) and
// PyTorch's RELEASE.md compatibility matrix, read 2026-12; the same backends astral-sh/uv's
// uv-torch knows of. Backends PyTorch never published (cu120, cu122…) are left out: the index
// answers 403 for them.
constexpr std::string_view kCudaBackends[] = {"cu130", "cu129", "cu128", "cu126", "cu124", "cu121",
                                              "cu118", "cu117", "cu116", "cu115", "cu113", "cu111",
                                              "cu110", "cu102", "cu101", "cu100", "cu92"};

// The projects PyTorch builds for each backend and serves from each backend index (uv routes the
// same names for --torch-backend); their other dependencies (numpy, nvidia-*…) come from the
// project's own indexes.
constexpr std::string_view kTorchFamily[] = {"pytorch-triton",     "pytorch-triton-rocm", "pytorch-triton-xpu",
                                             "torch",              "torcharrow",          "torchaudio",
                                             "torchcsprng",        "torchdata",           "torchdistx",
                                             "torchtext",          "torchvision",         "triton"};

// "cu121" → {12, 1}; "cu92" → {9, 2}.
std::pair<int, int> backend_cuda(std::string_view backend) {
  auto digits = backend.substr(2);
  std::size_t major = digits.size() == 2 ? 1 : 2;
  return {std::stoi(std::string(digits.substr(0, major))), std::stoi(std::string(digits.substr(major)))};
}

std::optional<std::pair<int, int>> cuda_pair(const std::string& cuda) {
  int major = 0, minor = 0;
  if (std::sscanf(cuda.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::pair{major, minor};
}

std::string decision_text(const facts::CudaDecision& d) {
  return d.version.value_or("none") + " (" + d.reason + ")";
}

// The extras of a root that choose CUDA, made to match the decision: tensorflow[and-cuda] and
// jax[cudaNN…] lose them under none (a CPU image), and jax[cudaNN_pip] of another major than the
// decision's becomes jax[cudaXX_pip]. Other requirements are left as written.
pypi::Requirement cuda_extras(pypi::Requirement req, const std::optional<std::string>& cuda) {
  const std::string name = req.normalized_name();
  const bool jax = name == "jax" || name == "jaxlib";
  if (name != "tensorflow" && !jax) return req;
  std::vector<std::string> extras;
  for (const auto& e : req.extras) {
    std::string x = pypi::normalize_name(e);
    if (name == "tensorflow" && x == "and-cuda") {
      if (cuda) extras.push_back(e);
      continue;
    }
    std::size_t digits = 4;
    while (jax && digits < x.size() && std::isdigit(static_cast<unsigned char>(x[digits]))) ++digits;
    if (!jax || !x.starts_with("cuda") || digits == 4 || digits > 6) {
      extras.push_back(e);
      continue;
    }
    if (!cuda) continue;
    extras.push_back("cuda" + cuda->substr(0, cuda->find('.')) + x.substr(digits));
  }
  std::sort(extras.begin(), extras.end());
  extras.erase(std::unique(extras.begin(), extras.end()), extras.end());
  req.extras = std::move(extras);
  return req;
}

// Where each selected root was written, for the chains of the CUDA check.
std::map<std::string, std::string> root_origins(const std::vector<const detectors::PythonRequirement*>& roots) {
  std::map<std::string, std::string> out;
  for (const auto* r : roots)
    if (!r->requirement.name.empty())
      out.emplace(r->requirement.normalized_name(), r->requirement.str() + " (" + r->file + ":" + std::to_string(r->line) + ")");
  return out;
}

Result<std::vector<lock::Package>> resolve_with(const Inputs& inputs, const Selection& selection, const Target& target,
                                                const Variant& variant, const fs::path& cache_dir,
                                                std::shared_ptr<net::HttpClient> http, util::TransferObserver* transfers) {
  std::vector<std::string> unknown;
  auto roots = selected(inputs, selection, &unknown);
  if (!unknown.empty())
    return util::fail(ErrorKind::invalid_input, "pyproject.toml has no " + unknown.front());
  bool checks_python = inputs.pyproject && inputs.pyproject->requires_python;
  if (roots.empty() && !checks_python) return std::vector<lock::Package>{};

  pyresolve::Request request;
  request.target = TRY(pypi_target(target));
  // A bare "3.12" means 3.12.0 for requires-python, as uv treats --python-version.
  request.python_full_version = target.python_full.find('.') != target.python_full.rfind('.') ? target.python_full : "";
  if (inputs.requirements) {
    if (inputs.requirements->pre) request.prereleases = pyresolve::Prereleases::allow;
    for (const auto& n : inputs.requirements->no_binary) request.no_binary.insert(n);
  }
  if (inputs.pyproject && inputs.pyproject->requires_python) request.requires_python = inputs.pyproject->requires_python;
  for (const auto* r : roots) {
    pyresolve::Root root;
    root.requirement = variant.cuda ? cuda_extras(r->requirement, variant.cuda->version) : r->requirement;
    root.hashes = r->hashes;
    root.path = r->path;
    root.constraint = r->constraint;
    root.origin = r->file + ":" + std::to_string(r->line);
    request.roots.push_back(std::move(root));
  }
  if (!http) http = net::make_curl_client();
  auto options = index_options(inputs, cache_dir, transfers);
  if (auto route = torch_route(inputs, variant)) {
    // A version counts on a backend when it has a wheel for the target there.
    auto ranker = std::make_shared<pypi::TagRanker>(request.target);
    route->counts = [ranker](const pyindex::DistFile& f) {
      auto w = pypi::parse_wheel_filename(f.filename);
      return w && ranker->rank(w->tags).has_value();
    };
    std::vector<std::string> shown;
    for (const auto& u : route->urls) shown.push_back(util::redact_url(u));
    if (!shown.empty()) request.indexes.push_back("for the torch family: " + util::join(shown, ", "));
    options.routes.push_back(std::move(*route));
  }
  for (const auto& u : options.index_urls) request.indexes.push_back(util::redact_url(u));
  for (const auto& u : options.find_links) request.indexes.push_back(util::redact_url(u));
  pyindex::IndexClient index(http, options);
  auto resolved = TRY(pyresolve::resolve(request, index));
  return pyresolve::lock_packages(resolved);
}

}  // namespace

bool torch_family(std::string_view name) {
  auto n = pypi::normalize_name(name);
  return std::find(std::begin(kTorchFamily), std::end(kTorchFamily), n) != std::end(kTorchFamily);
}

std::span<const std::string_view> pytorch_cuda_backends() { return kCudaBackends; }

std::vector<std::string> pytorch_backends_for(const std::optional<std::string>& cuda) {
  if (!cuda) return {"cpu"};
  std::vector<std::string> out;
  auto wanted = cuda_pair(*cuda);
  if (!wanted) return out;
  for (auto b : kCudaBackends) {
    auto have = backend_cuda(b);
    if (have.first == wanted->first && have <= *wanted) out.emplace_back(b);
  }
  return out;
}

std::optional<pyindex::IndexRoute> torch_route(const Inputs& inputs, const Variant& variant) {
  if (!variant.cuda) return std::nullopt;
  auto options = index_options(inputs, "");
  if (options.no_index) return std::nullopt;
  for (const auto& f : options.find_links)
    if (!cuda::index_hints(f, "").empty()) return std::nullopt;
  pyindex::IndexRoute route;
  route.projects.assign(std::begin(kTorchFamily), std::end(kTorchFamily));
  route.forbidden_is_missing = true;
  // The project's own PyTorch backend indexes, as it orders them.
  for (const auto& u : options.index_urls)
    if (!cuda::index_hints(u, "").empty()) route.urls.push_back(u);
  if (!route.urls.empty()) return route;
  std::string base = variant.pytorch_index;
  while (base.ends_with('/')) base.pop_back();
  auto backends = pytorch_backends_for(variant.cuda->version);
  for (const auto& b : backends) route.urls.push_back(base + "/" + b + "/");
  if (route.urls.empty()) {
    std::vector<std::string> same_major;
    auto wanted = cuda_pair(variant.cuda->version.value_or(""));
    for (auto b : kCudaBackends)
      if (wanted && backend_cuda(b).first == wanted->first) same_major.emplace_back(b);
    std::reverse(same_major.begin(), same_major.end());
    const std::string major = std::to_string(wanted ? wanted->first : 0);
    route.unavailable = "the project's CUDA is " + decision_text(*variant.cuda) + ", and PyTorch publishes no build for CUDA " +
                        major + " at or below it" +
                        (same_major.empty() ? std::string(": choose another CUDA with `cuda:` in mlpack.yaml or --cuda")
                                            : "; its CUDA " + major + " backends are " + util::join(same_major, ", ") +
                                                  ": choose one with `cuda:` in mlpack.yaml or --cuda");
  }
  return route;
}

Result<std::vector<lock::Package>> resolve(const Inputs& inputs, const Selection& selection, const Target& target,
                                           const Variant& variant, const fs::path& cache_dir,
                                           std::shared_ptr<net::HttpClient> http, util::TransferObserver* transfers) {
  std::vector<lock::Package> wheels;
  if (inputs.lockfile)
    wheels = TRY(resolve_lockfile(inputs, selection, target, cache_dir, std::move(http), transfers));
  else
    wheels = TRY(resolve_with(inputs, selection, target, variant, cache_dir, std::move(http), transfers));
  if (variant.cuda) {
    pyresolve::CudaCheck check{variant.cuda->version, variant.cuda->reason, root_origins(selected(inputs, selection, nullptr))};
    TRY(pyresolve::check_cuda_wheels(wheels, check));
  }
  return wheels;
}

Result<std::vector<lock::Package>> resolve(const Inputs& inputs, const Selection& selection, const Target& target,
                                           const fs::path& cache_dir, std::shared_ptr<net::HttpClient> http,
                                           util::TransferObserver* transfers) {
  return resolve(inputs, selection, target, Variant{}, cache_dir, std::move(http), transfers);
}

}  // namespace mlpack::buildpacks::python
