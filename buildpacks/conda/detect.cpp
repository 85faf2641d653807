// Reading a project's conda files for the conda buildpack: which file, its specs parsed, its
// channels expanded. No network.
#include <algorithm>

#include "buildpacks/conda/conda.hpp"
#include "util/expected.hpp"
#include "detectors/project_file.hpp"
#include "util/digest.hpp"

namespace mlpack::buildpacks::conda {

using util::ErrorKind;

namespace {

std::string where(const detectors::CondaSpec& s) {
  return s.file + ":" + std::to_string(s.line) + (s.column ? ":" + std::to_string(s.column) : "");
}

// `${NAME}` replaced by the variable's value, as conda expands channel URLs; an unset variable is
// an error naming it (a token silently left out would only fail later, less clearly).
Result<std::string> expand(const detectors::CondaSpec& channel, const util::Environment& env) {
  std::string out;
  const std::string& s = channel.text;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "${") == 0) {
      auto close = s.find('}', i + 2);
      if (close == std::string::npos)
        return util::fail(ErrorKind::invalid_input, where(channel) + ": unterminated `${` in channel `" + s + "`");
      std::string name = s.substr(i + 2, close - i - 2);
      auto value = env.get(name);
      if (!value)
        return util::fail(ErrorKind::invalid_input,
                          where(channel) + ": channel `" + s + "` uses ${" + name + "}, which is not set");
      out += *value;
      i = close + 1;
    } else {
      out += s[i++];
    }
  }
  return out;
}

// The lock files' bytes, read under the project rule like every project file (the detectors
// have parsed them already; conda-lock files of big environments run to a few MB).
Result<std::string> digest_of(const std::vector<fs::path>& paths, const fs::path& root) {
  std::string all;
  for (const auto& p : paths) {
    auto bytes = TRY(detectors::read_project_file(p, root, std::size_t(64) << 20));
    all += util::Digest::sha256_of(bytes).hex() + "\n";
  }
  return util::Digest::sha256_of(all).hex();
}

}  // namespace

Result<Inputs> detect(const fs::path& root, const util::Environment& env) {
  Inputs in;
  // The detectors take paths relative to the project root, so the root itself must be absolute
  // (`mlpack detect proj` as well as `mlpack detect .`).
  std::error_code ec;
  in.root = fs::absolute(root, ec).lexically_normal();
  if (ec) return util::fail(ErrorKind::io, "cannot resolve the project folder `" + root.string() + "`: " + ec.message());
  const fs::path& project = in.root;
  in.files = TRY(detectors::find_conda_env(project));
  if (!in.files) return in;
  switch (in.files->kind) {
    case detectors::CondaEnvKind::environment_yml: {
      in.environment = TRY(detectors::parse_conda_environment(in.files->paths.front(), project));
      for (const auto& dep : in.environment->dependencies) {
        auto spec = mlpack::conda::MatchSpec::parse(dep.text);
        if (!spec) return util::fail(ErrorKind::invalid_input, where(dep) + ": " + spec.error().message);
        in.specs.push_back(Spec{std::move(*spec), dep});
      }
      // conda adds `pip` itself (with a warning) when the file has a `pip:` list but does not ask
      // for it; pip then brings the interpreter the list is installed for.
      const auto& pip = in.environment->pip;
      if (pip && std::none_of(in.specs.begin(), in.specs.end(), [](const Spec& s) { return s.spec.name() == "pip"; })) {
        int line = pip->requirements.empty() ? 0 : pip->requirements.front().line;
        in.specs.push_back(Spec{TRY(mlpack::conda::MatchSpec::parse("pip")),
                                detectors::CondaSpec{"pip", in.environment->file, line, 0}, true});
        in.added_pip = true;
      }
      for (const auto& c : in.environment->channels) {
        auto text = TRY(expand(c, env));
        in.channels.push_back(ChannelRef{text, c.text, c.file + ":" + std::to_string(c.line)});
      }
      if (in.channels.empty()) {
        // As miniforge and pixi: conda-forge, never Anaconda's `defaults` unless listed.
        in.channels.push_back(ChannelRef{"conda-forge", "conda-forge", in.environment->file});
        in.default_channel = true;
      }
      break;
    }
    case detectors::CondaEnvKind::conda_lock:
      in.conda_lock = TRY(detectors::parse_conda_lock(in.files->paths.front(), project));
      in.digest = TRY(digest_of(in.files->paths, project));
      break;
    case detectors::CondaEnvKind::explicit_lock:
      for (const auto& p : in.files->paths)
        in.explicit_envs.push_back(TRY(detectors::parse_explicit_environment(p, project)));
      in.digest = TRY(digest_of(in.files->paths, project));
      break;
  }
  return in;
}

}  // namespace mlpack::buildpacks::conda
