// python behind the Buildpack interface: the Python files in, pypi lock entries, the venv's layers
// and the project's metadata layer out.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "buildpacks/python/python.hpp"
#include "buildpacks/registry.hpp"

namespace mlpack::buildpacks::python {

using util::ErrorKind;

namespace {

// The Python X.Y the project asks for: --python, else mlpack.yaml `python`, else runtime.txt or
// .python-version; nullopt leaves it to the base.
std::optional<std::string> wanted_python(const Context& ctx) {
  if (ctx.options.python) return ctx.options.python;
  if (ctx.project.config.python) return ctx.project.config.python;
  return requested_python(ctx.project.py);
}

// "2.36-9+deb12u4" → {2, 36}.
std::optional<std::pair<int, int>> glibc_of(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::pair{major, minor};
}

std::string major_minor(const std::string& version) {
  auto dot = version.find('.');
  if (dot == std::string::npos) return version;
  auto end = version.find('.', dot + 1);
  return version.substr(0, end);
}

// What a registry base image says of its Python: Debian's python3 package, the interpreters in its
// files, and the official images' PYTHON_VERSION.
BasePython base_python(const BaseFacts& base) {
  BasePython out;
  if (!base.image) return out;
  out.debian = std::any_of(base.packages.begin(), base.packages.end(),
                           [](const auto& p) { return p.preinstalled && p.name == "python3"; });
  out.interpreters = base.interpreters;
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

bool has_venv(const Project& project, const lock::LockFile& lock) {
  return project_of(project.py) || std::any_of(lock.packages.begin(), lock.packages.end(),
                                               [](const lock::Package& p) { return p.ecosystem == "pypi"; });
}

class Python final : public Buildpack {
 public:
  std::string_view name() const override { return "python"; }

  Result<Detection> detect(Project& project) override {
    Detection d;
    d.files = existing_files(project.dir, {"requirements.txt", "pyproject.toml", "runtime.txt", ".python-version"});
    auto py = python::detect(project.dir);
    if (!py) return std::unexpected(py.error());
    project.py = std::move(*py);
    const Inputs& in = project.py;
    d.files.insert(d.files.end(), in.files.begin(), in.files.end());

    // conda is not built yet: an environment.yml is named, never silently ignored.
    if (auto conda = existing_files(in.env_dir, {"environment.yml", "environment.yaml"}); !conda.empty()) {
      const std::string& f = conda.front();
      d.files.push_back(f);
      if (in.requirements || in.lockfile || (in.pyproject && in.pyproject->has_project))
        d.notes.push_back(f + " is ignored: conda environments are not supported yet, and the Python "
                          "files (requirements.txt, pyproject.toml or a lockfile) take precedence");
      else
        conda_only_ = f;
    }

    // Python is needed when the project says so or has Python in it.
    project.python = project.config.python.has_value() || in.has_dependencies() || in.version_file.has_value();
    if (!existing_files(project.dir, {"requirements.txt", "pyproject.toml", ".python-version", "setup.py"}).empty())
      project.python = true;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(project.dir, ec))
      if (entry.path().extension() == ".py" || entry.path().extension() == ".ipynb") project.python = true;
    d.applies = project.python;
    return d;
  }

  Result<void> check(const Project&) const override {
    if (!conda_only_.empty())
      return util::fail(ErrorKind::unsupported, "`" + conda_only_ +
                                                    "` describes a conda environment, which mlpack does not build yet; "
                                                    "list the packages in requirements.txt (pip) or apt.txt (Debian) instead");
    return {};
  }

  std::vector<InputPart> inputs(const Context& ctx) const override {
    nlohmann::json python = {{"needed", ctx.project.python},
                             {"inputs", describe(ctx.project.py, ctx.options.selection)},
                             {"version", wanted_python(ctx).value_or("")}};
    return {InputPart{"python", python.dump(),
                      "the Python requirements (requirements.txt, pyproject.toml, --extra/--group) or version"}};
  }

  // Fixes the target Python (asked for, checked against the base's) and resolves the requirements
  // for it and the base's glibc.
  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    const auto& base = ctx.base;
    std::string base_python_full;
    std::optional<std::pair<int, int>> glibc;
    for (const auto& p : base.packages) {  // the lock's own packages come first
      if (p.name == "python3" && base_python_full.empty()) base_python_full = debian_upstream_number(p.version);
      if (p.name == "libc6" && !glibc) glibc = glibc_of(p.version);
    }
    auto wanted = wanted_python(ctx);
    if (base.image && base_python_full.empty()) {
      auto bp = base_python(base);
      bool has_wanted = wanted && std::any_of(bp.interpreters.begin(), bp.interpreters.end(),
                                              [&](const std::string& p) { return p.ends_with("python" + *wanted); });
      base_python_full = has_wanted ? (major_minor(bp.version) == *wanted ? bp.version : *wanted) : image_python(bp);
    }
    if (wanted && !base_python_full.empty() && major_minor(base_python_full) != *wanted)
      return util::fail(ErrorKind::invalid_input,
                        "the project asks for Python " + *wanted + ", but `" + base.name + "` provides Python " +
                            major_minor(base_python_full) + "; use a base with Python " + *wanted +
                            " (e.g. `base: docker.io/library/python:" + *wanted +
                            "-slim` in mlpack.yaml) or ask for " + major_minor(base_python_full));
    std::string python_full = wanted ? *wanted : base_python_full;
    if (!base_python_full.empty() && major_minor(base_python_full) == major_minor(python_full)) python_full = base_python_full;
    if (!python_full.empty()) lock.target.python = major_minor(python_full);
    const Inputs& py = ctx.project.py;
    if (!py.has_dependencies()) return {};
    if (python_full.empty())
      return util::fail(ErrorKind::invalid_input, "cannot tell which Python the base `" + base.name +
                                                      "` has; set `python:` in mlpack.yaml or pass --python X.Y");
    Target target;
    target.python = major_minor(python_full);
    target.python_full = python_full;
    auto platform = oci::Platform::parse(ctx.options.platform);
    target.arch = machine_for(platform ? platform->architecture : "amd64");
    target.glibc = glibc;
    if (glibc) lock.target.glibc = std::to_string(glibc->first) + "." + std::to_string(glibc->second);
    auto wheels = python::resolve(py, ctx.options.selection, target, ctx.options.cache_dir, ctx.http, ctx.options.transfers);
    if (!wheels) return std::unexpected(wheels.error());
    for (auto& w : *wheels) lock.packages.push_back(std::move(w));
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
    if (has_venv(ctx.project, lock)) {
      auto layout = venv_layout(lock, base_python(ctx.base));
      if (!layout) return std::unexpected(layout.error());
      std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
      for (const auto& e : config.env)
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
      config.set_env("PATH", layout->prefix + "/bin:" + path);
      config.set_env("VIRTUAL_ENV", layout->prefix);
      config.set_env("PYTHONUNBUFFERED", "1");
      draft.default_command = {"python"};
    } else if (ctx.project.python) {
      config.set_env("PYTHONUNBUFFERED", "1");
      draft.default_command = {"python3"};
    }
    return {};
  }

 private:
  Result<void> add_layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const {
    if (!has_venv(ctx.project, lock)) return {};
    auto project = project_of(ctx.project.py);
    auto layout = venv_layout(lock, base_python(ctx.base));
    if (!layout) return std::unexpected(layout.error());
    const auto& deps_options = sink.options(FileTimes::fixed);
    auto options = venv_options(lock);
    auto groups = plan_venv(lock, *layout);
    std::vector<std::string> keys;
    std::vector<std::optional<BuiltLayer>> hits;
    bool all_hit = true;
    for (const auto& g : groups) {
      keys.push_back(util::Digest::sha256_of(layer_key_text(g, *layout, options) +
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
      auto assembled = assemble(groups, *layout, options, ctx.options.cache_dir, ctx.http, ctx.options.transfers);
      if (!assembled) return std::unexpected(assembled.error());
      for (std::size_t i = 0; i < groups.size(); ++i) {
        if (hits[i]) continue;
        auto b = sink.write(Layer{std::move((*assembled)[i].entries), (*assembled)[i].contents}, FileTimes::fixed, keys[i]);
        if (!b) return std::unexpected(b.error());
        hits[i] = std::move(*b);
      }
    }
    for (auto& h : hits) sink.add(std::move(*h));
    if (project) {
      auto p = project_layer(*project, *layout);
      if (!p) return std::unexpected(p.error());
      auto b = sink.write_by_content(Layer{std::move(p->entries), p->contents}, FileTimes::fixed);
      if (!b) return std::unexpected(b.error());
      sink.add(std::move(*b));
    }
    return {};
  }

  std::string conda_only_;  // "environment.yml" when that is all the project has
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<Python>(); }

}  // namespace mlpack::buildpacks::python
