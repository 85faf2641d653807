// Detecting and resolving the Python part of a project.
#include <cstdlib>

#include "buildpacks/python/python.hpp"
#include "detectors/project_file.hpp"
#include "net/curl_client.hpp"
#include "pyindex/netrc.hpp"
#include "pypi/name.hpp"
#include "pyresolve/resolve.hpp"
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
  auto lockfile = TRY(find_lockfile(project));
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
  if (inputs.requirements)
    for (const auto& r : inputs.requirements->requirements) out.push_back(&r);
  if (inputs.pyproject) {
    const auto& p = *inputs.pyproject;
    for (const auto& r : p.dependencies) out.push_back(&r);
    // The named lists of `table` (extras or groups); a name it lacks is reported as "<what> `name`".
    auto add_named = [&](const std::vector<std::string>& names, const auto& table, const std::string& what) {
      for (const auto& name : names) {
        auto it = table.find(pypi::normalize_name(name));
        if (it == table.end()) {
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

Result<std::vector<lock::Package>> resolve(const Inputs& inputs, const Selection& selection, const Target& target,
                                           const fs::path& cache_dir, std::shared_ptr<net::HttpClient> http,
                                           util::TransferObserver* transfers) {
  if (inputs.lockfile) return resolve_lockfile(inputs, selection, target, cache_dir, std::move(http), transfers);
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
    root.requirement = r->requirement;
    root.hashes = r->hashes;
    root.path = r->path;
    root.constraint = r->constraint;
    root.origin = r->file + ":" + std::to_string(r->line);
    request.roots.push_back(std::move(root));
  }
  if (!http) http = net::make_curl_client();
  auto options = index_options(inputs, cache_dir, transfers);
  for (const auto& u : options.index_urls) request.indexes.push_back(util::redact_url(u));
  for (const auto& u : options.find_links) request.indexes.push_back(util::redact_url(u));
  pyindex::IndexClient index(http, options);
  auto resolved = TRY(pyresolve::resolve(request, index));
  return pyresolve::lock_packages(resolved);
}

}  // namespace mlpack::buildpacks::python
