// python behind the Buildpack interface: the Python files in, pypi lock entries, the venv's layers
// and the project's metadata layer out.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <cstdio>

#include "buildpacks/cuda/hints.hpp"
#include "buildpacks/python/python.hpp"
#include "buildpacks/python/variant.hpp"
#include "buildpacks/registry.hpp"
#include "detectors/entrypoint.hpp"
#include "net/curl_client.hpp"
#include "pyindex/netrc.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

namespace mlpack::buildpacks::python {

using util::ErrorKind;

namespace {

// "2.36-9+deb12u4" → {2, 36}.
std::optional<std::pair<int, int>> glibc_of(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::pair{major, minor};
}

// 1 for "3", 2 for "3.11", 3 for "3.11.2"; 0 for "".
int parts_of(const std::string& version) {
  return version.empty() ? 0 : 1 + static_cast<int>(std::count(version.begin(), version.end(), '.'));
}

std::string major_minor(const std::string& version) {
  auto dot = version.find('.');
  if (dot == std::string::npos) return version;
  auto end = version.find('.', dot + 1);
  return version.substr(0, end);
}

// What a registry base image says of its Python: Debian's python3 package, the interpreters in its
// files (facts debian-base published), and the official images' PYTHON_VERSION.
BasePython base_python(const Context& ctx) {
  BasePython out;
  const Base& base = ctx.base;
  if (!base.image) return out;
  auto packages = ctx.facts.get_or(facts::os_packages);
  out.debian = std::any_of(packages.begin(), packages.end(),
                           [](const auto& p) { return p.preinstalled && p.name == "python3"; });
  out.interpreters = ctx.facts.get_or(facts::base_interpreters);
  if (auto config = oci::parse_config(base.config))
    for (const auto& e : config->env)
      if (e.starts_with("PYTHON_VERSION=")) out.version = e.substr(15);
  return out;
}

// The X.Y.Z (or X.Y) of the interpreter a registry base image has without Debian's python3: its
// PYTHON_VERSION when that interpreter is there, else the newest python3.X in its files.
std::string image_python(const BasePython& bp) {
  std::string best;
  for (const auto& path : bp.interpreters) {
    std::string xy = path.substr(path.rfind("python") + 6);
    if (!bp.version.empty() && major_minor(bp.version) == xy) return bp.version;
    int a = 0, b = 0, c = 0, d = 0;
    if (best.empty() || (std::sscanf(xy.c_str(), "%d.%d", &a, &b) == 2 && std::sscanf(best.c_str(), "%d.%d", &c, &d) == 2 &&
                         std::pair{a, b} > std::pair{c, d}))
      best = xy;
  }
  return best;
}

bool has_venv(const Inputs& inputs, const lock::LockFile& lock) {
  // pip packages another installer's environment owns (conda's `pip:` list) go into that
  // environment, not a venv.
  return project_of(inputs) || std::any_of(lock.packages.begin(), lock.packages.end(), [](const lock::Package& p) {
           return p.ecosystem == "pypi" && !p.extra.contains("installer");
         });
}

nlohmann::json requirement_json(const detectors::PythonRequirement& r) {
  const auto& req = r.requirement;
  return {{"ecosystem", "pypi"},
          {"name", req.name},
          {"specifier", req.specifier.str()},
          {"extras", req.extras},
          {"marker", req.marker ? nlohmann::json(req.marker->str()) : nlohmann::json(nullptr)},
          {"url", req.url.empty() ? (r.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.path))
                                  : nlohmann::json(util::redact_url(req.url))},
          {"hashes", r.hashes},
          {"constraint", r.constraint},
          {"editable", r.editable},
          {"group", r.group.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.group)},
          {"file", r.file},
          {"line", r.line}};
}

class Python final : public Buildpack {
 public:
  std::string_view name() const override { return "python"; }

  std::vector<FlagSpec> flags() const override {
    return {FlagSpec{"--python", "X.Y", "Target Python X.Y, or exactly X.Y.Z (default: mlpack.yaml, runtime.txt, else the base's)",
                     false},
            FlagSpec{"--extra", "NAME", "Include this pyproject.toml extra (repeatable)", true},
            FlagSpec{"--group", "NAME", "Include this pyproject.toml dependency group, or `dev` for a Pipfile's [dev-packages] (repeatable)", true},
            FlagSpec{"--pytorch-index", "URL",
                     "PyTorch's wheel index, holding cpu/ and cuXYZ/ (default: $MLPACK_PYTORCH_INDEX, else "
                     "https://download.pytorch.org/whl)",
                     false}};
  }
  std::vector<std::string> config_keys() const override { return {"python"}; }
  std::vector<std::string> looks_for() const override {
    return {"requirements.txt", "pyproject.toml", "uv.lock",     "poetry.lock",     "Pipfile.lock",
            "Pipfile",          "pylock.toml",      "runtime.txt",    ".python-version", "*.py files"};
  }

  Result<std::vector<std::string>> accept(const FlagValues& flags, const util::Environment& env) override {
    if (auto python = flags.value("--python")) {
      // X.Y.Z too, as pip's --python-version and uv's --python take it.
      if (!detectors::parse_python_request(*python))
        return util::fail(ErrorKind::invalid_input,
                          "invalid `--python " + util::printable_excerpt(*python) + "`: expected X.Y, e.g. 3.11");
      flag_python_ = *python;
    }
    // The PyTorch index the torch family comes from: the flag, else MLPACK_PYTORCH_INDEX.
    std::optional<std::string> pytorch = flags.value("--pytorch-index");
    std::string where = "--pytorch-index";
    if (!pytorch) {
      pytorch = env.non_empty("MLPACK_PYTORCH_INDEX");
      where = "MLPACK_PYTORCH_INDEX";
    }
    if (pytorch) {
      std::string u = util::trim(*pytorch);
      if (!(u.starts_with("https://") || u.starts_with("http://") || util::is_file_url(u)) || u.find_first_of(" \t\n") != std::string::npos)
        return util::fail(ErrorKind::invalid_input, "invalid " + where + " `" + util::printable_excerpt(util::redact_url(u)) +
                                                        "`: expected an http(s):// or file:// URL, e.g. https://download.pytorch.org/whl");
      while (u.ends_with('/')) u.pop_back();
      pytorch_index_ = u;
    }
    selection_.extras = flags.all("--extra");
    selection_.groups = flags.all("--group");
    env_ = env;
    return std::vector<std::string>{};
  }

  Result<Detection> detect(Project& project) override {
    if (const auto* v = project.config.section("python")) {
      auto text = TRY(v->string());
      if (!detectors::parse_python_request(text))
        return std::unexpected(v->error("`python` must be X.Y or X.Y.Z, e.g. `python: \"3.11\"`, got `" +
                                        util::printable_excerpt(text) + "`"));
      config_python_ = text;
    }
    Detection d;
    d.files = existing_files(project.dir, {"requirements.txt", "pyproject.toml", "runtime.txt", ".python-version"});
    in_ = TRY(python::detect(project.dir, env_));
    d.files.insert(d.files.end(), in_.files.begin(), in_.files.end());
    // What the Python files say about CUDA, for the cuda buildpack's decision.
    if (in_.requirements) cuda::add_hints(project.facts, cuda::requirements_hints(*in_.requirements, in_.root));
    if (in_.pyproject)
      cuda::add_hints(project.facts, cuda::pyproject_hints(*in_.pyproject, selection_.extras, selection_.groups));

    // Another ecosystem's environment (conda's) provides the interpreter: what it hands to pip is
    // resolved for that interpreter, and the project's own Python files are not used.
    if (const auto* pe = project.facts.find(facts::python_environment)) {
      environment_ = *pe;
      bool own = in_.requirements || in_.lockfile || (in_.pyproject && in_.pyproject->has_project);
      if (own)
        d.notes.push_back(pe->origin + " describes the Python environment: the Python files (requirements.txt, "
                          "pyproject.toml or a lockfile) are not installed; list pip packages under `- pip:` in " +
                          pe->origin);
      in_.requirements = pe->pip;
      in_.pyproject.reset();
      in_.lockfile.reset();
      in_.lockfile_digest.clear();
      d.applies = true;
      if (in_.has_dependencies()) d.ecosystem = "pypi";
      needed_ = true;
      return d;
    }

    // Python is needed when the project says so or has Python in it: as repo2docker has it, a
    // project with no Python requirement files but notebooks, *.py files or an executable script
    // whose shebang runs Python (anywhere under the root) gets Python from the base.
    needed_ = config_python_.has_value() || in_.has_dependencies() || in_.version_file.has_value();
    if (!existing_files(project.dir, {"requirements.txt", "pyproject.toml", ".python-version", "setup.py"}).empty())
      needed_ = true;
    if (!needed_) {
      python_code_ = detectors::find_python_code(project.dir);
      needed_ = python_code_.has_value();
    }
    if (needed_) {
      auto runtimes = project.facts.get_or(facts::wanted_runtimes);
      runtimes.push_back("python3");
      project.facts.publish(facts::wanted_runtimes, std::move(runtimes));
      d.ecosystem = "pypi";
    }
    d.applies = needed_;
    return d;
  }

  DetectSection describe(const Project& project) const override {
    DetectSection s;
    nlohmann::json requirements = nlohmann::json::array();
    if (in_.requirements)
      for (const auto& r : in_.requirements->requirements) requirements.push_back(requirement_json(r));
    nlohmann::json extras = nlohmann::json::object(), groups = nlohmann::json::object();
    std::optional<std::string> python = wanted_python();
    if (in_.pyproject) {
      for (const auto& r : in_.pyproject->dependencies) requirements.push_back(requirement_json(r));
      for (const auto& [name, list] : in_.pyproject->optional_dependencies) {
        extras[name] = nlohmann::json::array();
        for (const auto& r : list) extras[name].push_back(requirement_json(r));
      }
      for (const auto& [name, list] : in_.pyproject->dependency_groups) {
        groups[name] = nlohmann::json::array();
        for (const auto& r : list) groups[name].push_back(requirement_json(r));
      }
      if (in_.pyproject->requires_python) s.json["requires_python"] = *in_.pyproject->requires_python;
    }
    auto index = index_options(in_, "");
    std::vector<std::string> indexes;
    for (const auto& u : index.index_urls) indexes.push_back(util::redact_url(u));
    s.json["python"] = python ? nlohmann::json(*python) : nlohmann::json(nullptr);
    s.json["requirements"] = requirements;
    s.json["optional_dependencies"] = extras;
    s.json["dependency_groups"] = groups;
    s.json["indexes"] = indexes;
    s.json["find_links"] = index.find_links;
    // Where the torch family comes from for the CUDA decision (empty: the indexes above).
    nlohmann::json torch = nlohmann::json::array();
    if (auto route = torch_route(in_, variant(project)))
      for (const auto& u : route->urls) torch.push_back(util::redact_url(u));
    s.json["torch_indexes"] = torch;
    s.json["lockfile"] = in_.lockfile ? nlohmann::json(*in_.lockfile) : nlohmann::json(nullptr);
    if (environment_)
      s.lines.push_back("python: from the " + environment_->installer + " environment (" + environment_->origin + ")");
    else
      s.lines.push_back("python: " +
                        (python ? parts_of(*python) == 1 ? *python + ".x from the base" : *python
                                : needed_ ? "from the base" : "not needed") +
                        (python_code_ ? " (for " + *python_code_ + ")" : ""));
    if (in_.lockfile) s.lines.push_back("python lockfile: " + *in_.lockfile + " (installed exactly as locked)");
    return s;
  }

  std::vector<InputPart> inputs(const Context&) const override {
    nlohmann::json python = {{"needed", needed_},
                             {"inputs", python::describe(in_, selection_)},
                             {"version", wanted_python().value_or("")}};
    // Only when set, so locks made before it existed stay valid.
    if (pytorch_index_) python["pytorch_index"] = util::redact_url(*pytorch_index_);
    return {InputPart{"python", python.dump(),
                      "the Python requirements (requirements.txt, pyproject.toml, --extra/--group) or version"}};
  }

  std::string plan(const lock::LockFile& lock) const override {
    return lock.target.python ? "Python " + *lock.target.python : "";
  }

  // Fixes the target Python (asked for, checked against the base's) and resolves the requirements
  // for it and the base's glibc.
  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    if (environment_) return resolve_for_environment(ctx, lock);
    const auto& base = ctx.base;
    std::string base_python_full;
    for (const auto& p : ctx.facts.get_or(facts::os_packages))  // the lock's own packages come first
      if (p.name == "python3") {
        base_python_full = debian_upstream_number(p.version);
        break;
      }
    std::optional<std::pair<int, int>> glibc;
    if (const auto* libc = ctx.facts.find(facts::libc_version)) glibc = glibc_of(*libc);
    auto wanted = wanted_python();
    if (base.image && base_python_full.empty()) {
      auto bp = base_python(ctx);
      bool has_wanted = wanted && parts_of(*wanted) >= 2 &&
                        std::any_of(bp.interpreters.begin(), bp.interpreters.end(), [&](const std::string& p) {
                          return p.ends_with("python" + major_minor(*wanted));
                        });
      base_python_full = has_wanted ? (major_minor(bp.version) == major_minor(*wanted) ? bp.version : major_minor(*wanted))
                                    : image_python(bp);
    }
    std::string python_full = TRY(target_python(wanted, base_python_full, base.name));
    if (!python_full.empty()) lock.target.python = major_minor(python_full);
    const Inputs& py = in_;
    if (!py.has_dependencies()) return {};
    if (python_full.empty())
      return util::fail(ErrorKind::invalid_input, "cannot tell which Python the base `" + base.name +
                                                      "` has; set `python:` in mlpack.yaml or pass --python X.Y");
    Target target;
    target.python = major_minor(python_full);
    target.python_full = python_full;
    target.arch = machine_for(ctx.options.platform.architecture);
    target.glibc = glibc;
    if (glibc) lock.target.glibc = std::to_string(glibc->first) + "." + std::to_string(glibc->second);
    auto wheels = TRY(python::resolve(py, selection_, target, variant(ctx.project), ctx.options.cache_dir, http_client(ctx),
                                      ctx.options.transfers));
    for (auto& w : wheels) lock.packages.push_back(std::move(w));
    return {};
  }

  // The venv at /opt/venv, cut into layers cached by the locked wheels they hold, then the project
  // itself (importable from /app) when pyproject.toml has a [project] table.
  Result<void> layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const override {
    auto t_venv = std::chrono::steady_clock::now();
    auto recorded = add_layers(ctx, lock, sink);
    sink.timing("venv_layer_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_venv).count());
    return recorded;
  }

  Result<void> configure(const Context& ctx, const lock::LockFile& lock, ConfigDraft& draft) const override {
    auto& config = draft.config;
    if (environment_) return {};  // the environment's own buildpack sets PATH
    if (has_venv(in_, lock)) {
      auto layout = TRY(venv_layout(lock, base_python(ctx)));
      std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
      for (const auto& e : config.env)
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
      config.set_env("PATH", layout.prefix + "/bin:" + path);
      config.set_env("VIRTUAL_ENV", layout.prefix);
      config.set_env("PYTHONUNBUFFERED", "1");
      draft.default_command = {"python"};
    } else if (needed_) {
      config.set_env("PYTHONUNBUFFERED", "1");
      draft.default_command = {"python3"};
    }
    return {};
  }

 private:
  // The pip part of another ecosystem's environment, for its interpreter (the solved version that
  // ecosystem published) and the base's glibc; entries marked with the installer that owns them.
  Result<void> resolve_for_environment(Context& ctx, lock::LockFile& lock) const {
    const auto* version = ctx.facts.find(facts::python_environment_version);
    if (!version) {
      if (!in_.has_dependencies()) return {};
      return util::fail(ErrorKind::invalid_input, environment_->origin + " lists pip packages, but its " +
                                                      environment_->installer +
                                                      " environment has no python: add `python` to its dependencies");
    }
    lock.target.python = major_minor(*version);
    if (!in_.has_dependencies()) return {};
    Target target;
    target.python = major_minor(*version);
    target.python_full = *version;
    target.arch = machine_for(ctx.options.platform.architecture);
    if (const auto* libc = ctx.facts.find(facts::libc_version)) target.glibc = glibc_of(*libc);
    if (target.glibc) lock.target.glibc = std::to_string(target.glibc->first) + "." + std::to_string(target.glibc->second);
    auto wheels = TRY(python::resolve(in_, selection_, target, variant(ctx.project), ctx.options.cache_dir, http_client(ctx),
                                      ctx.options.transfers));
    // One distribution from both installers would be two copies in one site-packages.
    std::map<std::string, const lock::Package*> others;
    for (const auto& p : lock.packages)
      if (p.ecosystem == environment_->installer) others[pypi::normalize_name(p.name)] = &p;
    for (auto& w : wheels) {
      if (auto it = others.find(pypi::normalize_name(w.name)); it != others.end())
        return util::fail(ErrorKind::invalid_input,
                          "`" + w.name + "` comes from both " + environment_->installer + " (" + it->second->name + " " +
                              it->second->version + ") and pip (" + w.name + " " + w.version + ", from the `pip:` list of " +
                              environment_->origin + "); keep it in one of them");
      w.extra["installer"] = environment_->installer;
      lock.packages.push_back(std::move(w));
    }
    return {};
  }

  Result<void> add_layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const {
    if (!has_venv(in_, lock)) return {};
    auto project = project_of(in_);
    auto layout = TRY(venv_layout(lock, base_python(ctx)));
    const auto& deps_options = sink.options(FileTimes::fixed);
    auto options = venv_options(lock);
    // The image's layer plan when the pipeline made one; else the large-wheel rule on its own.
    std::vector<VenvGroup> groups;
    if (const auto* plan = ctx.facts.find(facts::layer_plan)) groups = TRY(plan_venv(lock, layout, *plan));
    else groups = plan_venv(lock, layout);
    std::vector<std::string> keys;
    std::vector<std::optional<BuiltLayer>> hits;
    bool all_hit = true;
    for (const auto& g : groups) {
      keys.push_back(util::Digest::sha256_of(layer_key_text(g, layout, options) +
                                             archive::encoding_key(deps_options).value_or("invalid-options") +
                                             " mtime " + std::to_string(deps_options.mtime))
                         .hex());
      hits.push_back(sink.find(keys.back()));
      all_hit = all_hit && hits.back().has_value();
    }
    std::size_t wheel_count = 0;
    for (const auto& g : groups) wheel_count += g.wheels.size();
    if (!all_hit) {
      // Every wheel is installed again (and verified) so conflicts are checked across all the
      // venv's layers; only the layers missing from the cache are compressed.
      if (wheel_count) sink.fetching(std::to_string(wheel_count) + " Python wheels: downloading (sha256-verified)");
      auto assembled = TRY(assemble(groups, layout, options, ctx.options.cache_dir, http_client(ctx), ctx.options.transfers,
                                    pyindex::Netrc::default_path(env_), ctx.options.unpack));
      for (std::size_t i = 0; i < groups.size(); ++i) {
        if (hits[i]) continue;
        hits[i] = TRY(sink.write(Layer{std::move(assembled[i].entries), assembled[i].contents}, FileTimes::fixed, keys[i]));
      }
    }
    for (std::size_t i = 0; i < groups.size(); ++i) {
      hits[i]->packages.clear();
      for (const auto* p : groups[i].wheels) hits[i]->packages.push_back(p->name + " " + p->version);
      sink.add(std::move(*hits[i]));
    }
    if (project) {
      auto p = TRY(project_layer(*project, layout));
      sink.add(TRY(sink.write_by_content(Layer{std::move(p.entries), p.contents}, FileTimes::fixed)));
    }
    return {};
  }


  // What pip follows of the CUDA decision (the cuda buildpack publishes it at detect).
  Variant variant(const Project& project) const {
    Variant v;
    if (const auto* d = project.facts.find(facts::cuda)) v.cuda = *d;
    if (pytorch_index_) v.pytorch_index = *pytorch_index_;
    return v;
  }

  // The Python the project asks for ("3", "3.11" or "3.11.4"): --python, else mlpack.yaml `python`,
  // else runtime.txt or .python-version; nullopt leaves it to the base.
  std::optional<std::string> wanted_python() const {
    if (flag_python_) return flag_python_;
    if (config_python_) return config_python_;
    return requested_python(in_);
  }

  // Where wanted_python() was asked for, for messages.
  std::string wanted_origin() const {
    if (flag_python_) return "--python " + *flag_python_;
    if (config_python_) return "mlpack.yaml `python: " + *config_python_ + "`";
    if (in_.version_file) return in_.version_file->file;
    return "";
  }

  // The interpreter's X.Y.Z (or X.Y when that is all anyone says) the wheels are chosen for, from
  // what is wanted and what the base has (`base_full`: "3.11.2", "3.11", or "" when unknown):
  // - "3" takes the base's Python 3, whatever its minor version (repo2docker's `python-3`);
  // - "3.11" takes the base's 3.11.x; another minor version is invalid_input;
  // - "3.11.4" must be exactly the base's, as uv, pyenv and `python:3.11.4` images read it: a base
  //   with 3.11.2 is invalid_input naming both. When the base says only X.Y (an image's python3.11
  //   without PYTHON_VERSION), X.Y.Z is taken as pip's --python-version takes it, for markers.
  Result<std::string> target_python(const std::optional<std::string>& wanted, const std::string& base_full,
                                    const std::string& base_name) const {
    if (!wanted) return base_full;
    auto asked = "the project asks for Python " + *wanted + " (" + wanted_origin() + ")";
    if (parts_of(*wanted) == 1) {
      if (!base_full.empty() && base_full.substr(0, base_full.find('.')) != *wanted)
        return util::fail(ErrorKind::invalid_input, asked + ", but `" + base_name + "` provides Python " + base_full +
                                                        "; use a base with Python " + *wanted);
      return base_full;
    }
    auto xy = major_minor(*wanted);
    if (!base_full.empty() && major_minor(base_full) != xy)
      return util::fail(ErrorKind::invalid_input,
                        asked + ", but `" + base_name + "` provides Python " + major_minor(base_full) +
                            "; use a base with Python " + xy + " (e.g. `base: docker.io/library/python:" + *wanted +
                            "-slim` in mlpack.yaml) or ask for " + major_minor(base_full));
    if (parts_of(*wanted) == 3 && parts_of(base_full) == 3 && base_full != *wanted)
      return util::fail(ErrorKind::invalid_input,
                        "the project asks for exactly Python " + *wanted + " (" + wanted_origin() + "), but `" + base_name + "` provides Python " + base_full + ", its only Python " +
                            xy + "; ask for " + xy + " (any " + xy + ".x) or " + base_full +
                            ", or use a base with Python " + *wanted + " (e.g. `base: docker.io/library/python:" +
                            *wanted + "-slim` in mlpack.yaml)");
    return parts_of(base_full) == 3 ? base_full : *wanted;
  }

  std::optional<std::string> flag_python_;    // --python
  std::optional<std::string> config_python_;  // mlpack.yaml `python`
  Selection selection_;                       // --extra / --group
  util::Environment env_;                     // PIP_INDEX_URL…
  std::optional<std::string> pytorch_index_;  // --pytorch-index, else MLPACK_PYTORCH_INDEX; no trailing '/' 
  Inputs in_;
  bool needed_ = false;     // the project runs Python, so the OS should have an interpreter
  std::optional<std::string> python_code_;  // what made it needed when no Python file asks (find_python_code)
  // Set when another ecosystem's environment provides the interpreter (facts::python_environment).
  std::optional<facts::PythonEnvironment> environment_;
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<Python>(); }

}  // namespace mlpack::buildpacks::python
