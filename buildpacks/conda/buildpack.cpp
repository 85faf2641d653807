// conda behind the Buildpack interface: the environment files in, `conda` lock entries out.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

#include "buildpacks/conda/assemble.hpp"
#include "buildpacks/conda/conda.hpp"
#include "buildpacks/conda/resolve.hpp"
#include "buildpacks/cuda/hints.hpp"
#include "buildpacks/registry.hpp"
#include "conda/channel_url.hpp"
#include "pyindex/netrc.hpp"
#include "conda/channel_url.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::conda {

using util::ErrorKind;

namespace {

// What follows the name in a spec as written, for the `name specifier` lines of `mlpack detect`.
std::string specifier_of(const Spec& s) {
  std::string text = s.written.text;
  auto colons = text.rfind("::");
  if (colons != std::string::npos) text = text.substr(colons + 2);
  if (text.starts_with(s.spec.name())) text = text.substr(s.spec.name().size());
  auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  text = text.substr(first);
  // "numpy 1.8 py27_0" reads better with its space kept; "numpy>=1.8" and "numpy=1.8" need none.
  if (!text.empty() && (std::isalnum(static_cast<unsigned char>(text[0])) || text[0] == '*')) text = " " + text;
  return text;
}

// environment.yml's `pip:` list as the requirements file conda writes beside it and runs pip on.
Result<detectors::RequirementsFile> pip_requirements(const detectors::CondaPipSection& pip, const std::string& file) {
  detectors::RequirementsFile out;
  out.files.push_back(file);
  out.requirements = pip.requirements;
  for (const auto& inc : pip.includes) {
    out.requirements.insert(out.requirements.end(), inc.requirements.begin(), inc.requirements.end());
    out.index_urls.insert(out.index_urls.end(), inc.index_urls.begin(), inc.index_urls.end());
    out.index_url_set = out.index_url_set || inc.index_url_set;
    out.find_links.insert(out.find_links.end(), inc.find_links.begin(), inc.find_links.end());
    out.files.insert(out.files.end(), inc.files.begin(), inc.files.end());
  }
  for (const auto& o : pip.options) {
    // The detector checked these against pip's options: `--opt value` or `--opt=value`.
    auto cut = o.text.find_first_of(" \t=");
    std::string opt = o.text.substr(0, cut);
    std::string value = cut == std::string::npos ? "" : util::trim(o.text.substr(cut + 1));
    if (opt.size() > 2 && opt[1] != '-') value = opt.substr(2), opt = opt.substr(0, 2);
    std::string at = o.file + ":" + std::to_string(o.line);
    if (opt == "-i" || opt == "--index-url") {
      out.index_urls.insert(out.index_urls.begin(), value);
      out.index_url_set = true;
    } else if (opt == "--extra-index-url") {
      out.index_urls.push_back(value);
    } else if (opt == "-f" || opt == "--find-links") {
      out.find_links.push_back(value);
    } else if (opt == "--pre") {
      out.pre = true;
    } else if (opt == "--no-index") {
      out.no_index = true;
    } else if (opt == "--prefer-binary") {
      out.prefer_binary = true;
    } else if (opt == "--require-hashes") {
      out.require_hashes = true;
    } else if (opt == "--only-binary") {
      out.only_binary.push_back(value);
    } else if (opt == "--no-binary") {
      out.no_binary.push_back(value);
    } else if (opt == "--trusted-host") {
      out.trusted_hosts.push_back(value);
    } else if (opt == "-e" || opt == "--editable") {
      return util::fail(ErrorKind::unsupported, at + ": `" + o.text + "`: mlpack installs wheels only and never "
                                                "builds a project (an editable install needs a build)");
    }  // --use-feature: pip's own switches, nothing for a resolver
  }
  return out;
}

class Conda final : public Buildpack {
 public:
  std::string_view name() const override { return "conda"; }

  std::vector<std::string> config_keys() const override { return {"conda_channel_alias", "conda_default_channels"}; }
  std::vector<std::string> looks_for() const override {
    return {"environment.yml", "environment.yaml", "conda-lock.yml", "conda-<platform>.lock"};
  }

  Result<std::vector<std::string>> accept(const FlagValues&, const util::Environment& env) override {
    env_ = env;
    return std::vector<std::string>{};
  }

  Result<Detection> detect(Project& project) override {
    // conda's own settings, from mlpack.yaml, else conda's environment variables.
    if (const auto* v = project.config.section("conda_channel_alias")) settings_.alias = TRY(v->string());
    else if (auto a = env_.non_empty("CONDA_CHANNEL_ALIAS")) settings_.alias = *a;
    if (const auto* v = project.config.section("conda_default_channels")) settings_.default_channels = TRY(v->strings());
    else if (auto d = env_.non_empty("CONDA_DEFAULT_CHANNELS")) settings_.default_channels = util::split(*d, ',');
    in_ = TRY(conda::detect(project.dir, env_));
    Detection d;
    if (!in_.files) return d;
    d.applies = true;
    d.ecosystem = "conda";
    for (const auto& p : in_.files->paths) d.files.push_back(fs::relative(p, in_.root).generic_string());
    if (in_.added_pip)
      d.notes.push_back(d.files.front() + " has a `pip:` list but does not ask for pip: pip is added, as conda does");
    if (in_.default_channel)
      d.notes.push_back(d.files.front() + " lists no channels: using conda-forge (as miniforge and pixi do)");
    for (const auto& s : in_.specs)
      cuda::add_hints(project.facts, cuda::conda_hints(s.written.text, s.written.file + ":" + std::to_string(s.written.line)));
    // The environment's python is the project's Python; its `pip:` list is python's to resolve.
    bool has_python = std::any_of(in_.specs.begin(), in_.specs.end(), [](const Spec& s) { return s.spec.name() == "python"; });
    if (in_.conda_lock)
      has_python = std::any_of(in_.conda_lock->packages.begin(), in_.conda_lock->packages.end(),
                               [](const auto& p) { return p.name == "python"; });
    for (const auto& e : in_.explicit_envs)
      for (const auto& p : e.packages) has_python = has_python || p.url.find("/python-3") != std::string::npos;
    bool has_pip = in_.environment && in_.environment->pip;
    if (has_python || has_pip) {
      facts::PythonEnvironment pe{"conda", "/opt/conda", d.files.front(), std::nullopt};
      if (has_pip) pe.pip = TRY(pip_requirements(*in_.environment->pip, in_.environment->file));
      project.facts.publish(facts::python_environment, std::move(pe));
    }
    return d;
  }

  DetectSection describe(const Project&) const override {
    DetectSection s;
    if (!in_.files) return s;
    nlohmann::json requirements = nlohmann::json::array();
    for (const auto& spec : in_.specs)
      if (!spec.added)
        requirements.push_back({{"ecosystem", "conda"},
                              {"name", spec.spec.name()},
                              {"specifier", specifier_of(spec)},
                              {"spec", spec.spec.str()},
                              {"file", spec.written.file},
                              {"line", spec.written.line}});
    nlohmann::json conda = nlohmann::json::object();
    std::vector<std::string> files;
    for (const auto& p : in_.files->paths) files.push_back(fs::relative(p, in_.root).generic_string());
    conda["files"] = files;
    std::vector<std::string> channels;
    for (const auto& c : in_.channels) channels.push_back(mlpack::conda::redact_channel_url(c.written));
    if (in_.conda_lock)
      for (const auto& c : in_.conda_lock->channels) channels.push_back(mlpack::conda::redact_channel_url(c));
    conda["channels"] = channels;
    nlohmann::json pip = nlohmann::json::array();
    if (in_.environment && in_.environment->pip)
      for (const auto& r : in_.environment->pip->requirements) {
        // The python buildpack lists them among `requirements` (ecosystem pypi).
        pip.push_back({{"name", r.requirement.name}, {"specifier", r.requirement.specifier.str()},
                       {"file", r.file}, {"line", r.line}});
      }
    conda["pip"] = pip;
    if (in_.environment) {
      conda["name"] = in_.environment->name ? nlohmann::json(*in_.environment->name) : nlohmann::json(nullptr);
      conda["variables"] = in_.environment->variables;
    }
    const char* kind = in_.conda_lock ? "conda-lock" : in_.explicit_envs.empty() ? "environment" : "explicit";
    conda["kind"] = kind;
    s.json["conda"] = conda;
    s.json["requirements"] = requirements;
    std::string line = "conda: " + files.front();
    if (!channels.empty()) {
      line += " (channels: ";
      for (std::size_t i = 0; i < channels.size(); ++i) line += (i ? ", " : "") + channels[i];
      line += ")";
    }
    if (!in_.environment) line += ", installed exactly as locked";
    s.lines.push_back(line);
    if (!pip.empty()) s.lines.push_back("conda pip: " + std::to_string(pip.size()) + " requirements for the conda environment's Python");
    return s;
  }

  std::vector<InputPart> inputs(const Context& ctx) const override {
    if (!in_.files) return {};
    nlohmann::json j = nlohmann::json::object();
    std::vector<std::string> specs, channels;
    for (const auto& s : in_.specs) specs.push_back(s.spec.str());
    for (const auto& c : in_.channels) channels.push_back(c.written);  // ${VAR} as written: no token in the lock
    j["specs"] = specs;
    j["channels"] = channels;
    j["alias"] = mlpack::conda::redact_channel_url(settings_.alias);
    std::vector<std::string> defaults;
    for (const auto& d : settings_.default_channels) defaults.push_back(mlpack::conda::redact_channel_url(d));
    j["default_channels"] = defaults;
    j["locks"] = in_.digest;
    if (const auto* decision = ctx.project.facts.find(facts::cuda)) j["cuda"] = decision->version.value_or("none");
    if (in_.environment && in_.environment->pip) {
      std::vector<std::string> pip;
      for (const auto& r : in_.environment->pip->requirements) pip.push_back(r.requirement.str());
      j["pip"] = pip;
    }
    return {InputPart{"conda", j.dump(), "the conda environment (environment.yml, conda-lock.yml or @EXPLICIT files)"}};
  }

  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    if (!in_.files) return {};
    TRY(resolve_environment(ctx, in_, settings_, lock));
    publish(ctx, lock);
    return {};
  }

  // The environment at /opt/conda: the locked packages linked by lib/condapkg, cut into layers
  // (assemble.cpp); what the packages' activation scripts export is kept for configure().
  Result<void> layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const override {
    if (!has_conda_packages(lock)) return {};
    publish(ctx, lock);
    EnvSources sources;
    if (in_.environment) sources.channels = TRY(parse_channels(in_, settings_));
    if (in_.conda_lock)
      for (const auto& p : in_.conda_lock->packages) sources.urls[mlpack::conda::strip_channel_credentials(p.url)] = p.url;
    for (const auto& e : in_.explicit_envs)
      for (const auto& p : e.packages) sources.urls[mlpack::conda::strip_channel_credentials(p.url)] = p.url;
    for (const auto& s : in_.specs) {
      sources.requested[s.spec.name()] = s.written.text;
      sources.specs.push_back(s.written.text);
    }
    auto started = std::chrono::steady_clock::now();
    activation_ = TRY(add_environment_layers(ctx, lock, sink, sources));
    TRY(add_pip_layer(ctx, lock, sink, pyindex::Netrc::default_path(env_)));  // the `pip:` list, above
    sink.timing("conda_layers_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return {};
  }

  // Activation baked in: what `conda activate` would set for /opt/conda, the environment file's
  // `variables:`, then what the packages' plain activate.d scripts export (they run last in conda).
  Result<void> configure(const Context&, const lock::LockFile& lock, ConfigDraft& draft) const override {
    if (!has_conda_packages(lock)) return {};
    auto& config = draft.config;
    std::string prefix(environment_prefix);
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& e : config.env)
      if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    config.set_env("PATH", prefix + "/bin:" + path);
    config.set_env("CONDA_PREFIX", prefix);
    config.set_env("CONDA_DEFAULT_ENV", "base");  // /opt/conda is a root prefix, which conda calls base
    config.set_env("CONDA_SHLVL", "1");
    if (in_.environment)
      for (const auto& [k, v] : in_.environment->variables) config.set_env(k, v);
    for (const auto& [k, v] : activation_.env) config.set_env(k, v);
    bool python = std::any_of(lock.packages.begin(), lock.packages.end(),
                              [](const lock::Package& p) { return p.ecosystem == "conda" && p.name == "python"; });
    if (python) {
      config.set_env("PYTHONUNBUFFERED", "1");
      draft.default_command = {"python"};
    }
    return {};
  }

  std::string plan(const lock::LockFile& lock) const override {
    std::size_t n = 0;
    for (const auto& p : lock.packages) n += p.ecosystem == "conda";
    return n ? "conda environment" : "";
  }

 private:
  static bool has_conda_packages(const lock::LockFile& lock) {
    return std::any_of(lock.packages.begin(), lock.packages.end(), [](const lock::Package& p) { return p.ecosystem == "conda"; });
  }

  // The environment's interpreter, from the lock, for python's pip part.
  static void publish(Context& ctx, const lock::LockFile& lock) {
    for (const auto& p : lock.packages)
      if (p.ecosystem == "conda" && p.name == "python") ctx.facts.publish(facts::python_environment_version, p.version);
  }

  util::Environment env_;
  ChannelSettings settings_;
  Inputs in_;
  mutable Activation activation_;  // set by layers(), read by configure()
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<Conda>(); }

}  // namespace mlpack::buildpacks::conda
