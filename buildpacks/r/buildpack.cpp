// R behind the Buildpack interface: the project's R files in, `cran` lock entries and the
// site-library layers out.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

#include "buildpacks/r/r.hpp"
#include "buildpacks/registry.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::r {

using util::ErrorKind;

namespace {

// Records renv.lock holds that only a build could install.
bool needs_building(const detectors::RenvPackage& p) {
  std::string source = util::to_lower(p.source);
  if (source == "repository" || source == "cran" || source == "rspm") return false;
  // Bioconductor from a binary repository is fine; from git it is a build.
  if (source == "bioconductor") return !p.remote_type.empty() && p.remote_type != "standard";
  return true;  // GitHub, GitLab, Bitbucket, git, URL, Local, unknown
}

bool has_cran_packages(const lock::LockFile& lock) {
  return std::any_of(lock.packages.begin(), lock.packages.end(), [](const lock::Package& p) { return p.ecosystem == "cran"; });
}

class R final : public Buildpack {
 public:
  std::string_view name() const override { return "r"; }

  std::vector<std::string> config_keys() const override { return {"r", "cran"}; }
  std::vector<std::string> looks_for() const override { return {"DESCRIPTION", "renv.lock", "runtime.txt (r-X.Y)", "install.R"}; }

  // CRAN's Debian repository as the environment names it (a mirror; tests serve their own).
  Result<std::vector<std::string>> accept(const FlagValues&, const util::Environment& env) override {
    cran_debian_ = CranDebian{};
    if (auto url = env.non_empty("MLPACK_CRAN_DEBIAN_URL")) {
      std::string u = util::trim(*url);
      if (!(u.starts_with("https://") || u.starts_with("http://")) || u.find_first_of(" \t\n") != std::string::npos)
        return util::fail(ErrorKind::invalid_input, "invalid MLPACK_CRAN_DEBIAN_URL `" +
                                                        util::printable_excerpt(util::redact_url(u)) +
                                                        "`: expected an http(s):// URL, e.g. " + std::string(cran_debian_url));
      while (u.ends_with('/')) u.pop_back();
      cran_debian_.url = u;
    }
    if (auto key = env.non_empty("MLPACK_CRAN_DEBIAN_KEY")) cran_debian_.keyring = util::trim(*key);
    return std::vector<std::string>{};
  }

  Result<Detection> detect(Project& project) override {
    in_ = Inputs{};
    in_.root = project.dir;
    if (const auto* v = project.config.section("r")) {
      in_.settings.r = TRY(v->string());
      in_.settings.r_origin = "mlpack.yaml";
      if (!cran::Version::parse(*in_.settings.r))
        return util::fail(ErrorKind::invalid_input, "mlpack.yaml: `r` must be an R version such as \"4.3\", got " +
                                                        util::printable_excerpt(*in_.settings.r, 40));
    }
    if (const auto* v = project.config.section("cran")) {
      if (v->is_list()) in_.settings.cran = TRY(v->strings());
      else in_.settings.cran = {TRY(v->string())};
      for (const auto& url : in_.settings.cran)
        if (!url.starts_with("http://") && !url.starts_with("https://") && !url.starts_with("file://"))
          return util::fail(ErrorKind::invalid_input, "mlpack.yaml: `cran` must be http(s) or file:// URLs, got " +
                                                          util::printable_excerpt(util::redact_url(url), 80));
    }
    in_.project = TRY(detectors::read_r_project(project.dir));
    Detection d;
    if (!in_.project && !in_.settings.r) return d;
    if (!in_.project) in_.project = detectors::RProject{};  // `r:` alone: R with no packages
    d.applies = true;
    d.ecosystem = "cran";
    d.files = in_.project->files;
    for (const auto& remote : in_.project->remotes)
      d.notes.push_back("DESCRIPTION Remotes `" + util::printable_excerpt(remote, 80) +
                        "` is not built: the package comes from the CRAN-like repositories like every other");
    auto runtimes = project.facts.get_or(facts::wanted_runtimes);
    runtimes.push_back("R");
    project.facts.publish(facts::wanted_runtimes, std::move(runtimes));
    // The R wanted decides which r-base-core the OS gets: the suite's, else CRAN's Debian repository's.
    if (auto wanted = r::wanted_r(in_); wanted.any()) {
      auto versions = project.facts.get_or(debian_base::runtime_versions);
      versions.push_back(runtime_version(wanted, cran_debian_));
      project.facts.publish(debian_base::runtime_versions, std::move(versions));
    }
    return d;
  }

  Result<void> check(const Project&) const override {
    if (!in_.project || !in_.project->renv) return {};
    std::vector<std::string> refused;
    for (const auto& p : in_.project->renv->packages)
      if (needs_building(p))
        refused.push_back(p.name + " " + p.version + " (" + (p.source.empty() ? "no Source" : p.source) + ")");
    if (refused.empty()) return {};
    return util::fail(ErrorKind::unsupported,
                      in_.project->renv->file + ": " + std::to_string(refused.size()) +
                          " package(s) would need building from sources, which mlpack never does: " +
                          util::join(refused, ", ") +
                          "; install them from a CRAN-like repository that serves Linux binaries (then `renv::snapshot()`)");
  }

  DetectSection describe(const Project&) const override {
    DetectSection s;
    if (!in_.project) return s;
    const auto& p = *in_.project;
    nlohmann::json requirements = nlohmann::json::array();
    for (const auto& r : p.requirements) {
      std::string specifier = r.exact_version ? "== " + *r.exact_version : r.constraint.value_or("");
      requirements.push_back({{"ecosystem", "cran"},
                              {"name", r.name},
                              {"specifier", specifier},
                              {"field", r.field},
                              {"file", r.file},
                              {"line", r.line}});
    }
    s.json["requirements"] = requirements;
    auto wanted = wanted_r();
    s.json["r"] = wanted ? nlohmann::json(*wanted) : nlohmann::json(nullptr);
    nlohmann::json r = nlohmann::json::object();
    r["files"] = p.files;
    r["version"] = wanted ? nlohmann::json(*wanted) : nlohmann::json(nullptr);
    r["version_from"] = in_.settings.r ? in_.settings.r_origin : p.r_version_origin;
    r["minimum"] = p.r_minimum ? nlohmann::json(*p.r_minimum) : nlohmann::json(nullptr);
    r["snapshot"] = p.snapshot_date ? nlohmann::json(*p.snapshot_date) : nlohmann::json(nullptr);
    std::vector<std::string> repos;
    for (const auto& url : in_.settings.cran) repos.push_back(util::redact_url(url));
    if (p.renv)
      for (const auto& repo : p.renv->repositories) repos.push_back(util::redact_url(repo.url));
    r["repositories"] = repos;
    r["remotes"] = p.remotes;
    s.json["r_project"] = r;
    std::string line = "R" + (wanted ? " " + *wanted : std::string()) + ": " +
                       (p.files.empty() ? std::string("mlpack.yaml") : util::join(p.files, ", "));
    if (p.snapshot_date) line += " (snapshot " + *p.snapshot_date + ")";
    s.lines.push_back(line);
    for (const auto& req : p.requirements) {
      std::string spec = req.exact_version ? " == " + *req.exact_version : req.constraint ? " " + *req.constraint : "";
      s.lines.push_back("  " + req.name + spec + "  (" + req.file + ":" + std::to_string(req.line) + ")");
    }
    return s;
  }

  std::vector<InputPart> inputs(const Context&) const override {
    if (!in_.project) return {};
    const auto& p = *in_.project;
    nlohmann::json j = nlohmann::json::object();
    nlohmann::json reqs = nlohmann::json::array();
    for (const auto& r : p.requirements)
      reqs.push_back({r.name, r.constraint.value_or(""), r.exact_version.value_or(""), r.field});
    j["requirements"] = reqs;
    j["r"] = wanted_r().value_or("");
    j["minimum"] = p.r_minimum.value_or("");
    j["snapshot"] = p.snapshot_date.value_or("");
    std::vector<std::string> repos;
    for (const auto& url : in_.settings.cran) repos.push_back(util::strip_userinfo(url));
    j["cran"] = repos;
    if (p.renv) {
      std::vector<std::string> renv_repos;
      for (const auto& repo : p.renv->repositories) renv_repos.push_back(repo.name + "=" + util::strip_userinfo(repo.url));
      j["renv_repositories"] = renv_repos;
    }
    return {InputPart{"r", j.dump(), "the R packages (DESCRIPTION, renv.lock, runtime.txt, install.R, mlpack.yaml `r`/`cran`)"}};
  }

  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    if (!in_.project) return {};
    return resolve_packages(ctx, in_, lock);
  }

  Result<void> layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const override {
    if (!in_.project && !has_cran_packages(lock)) return {};
    auto started = std::chrono::steady_clock::now();
    TRY(add_layers(ctx, in_, lock, sink));
    sink.timing("r_layers_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return {};
  }

  Result<void> configure(const Context&, const lock::LockFile& lock, ConfigDraft& draft) const override {
    if (!in_.project || !lock.target.r) return {};
    draft.config.labels["org.mlpack.r.version"] = *lock.target.r;
    // R_LIBS_SITE stays Debian's (/etc/R/Renviron: /usr/local/lib/R/site-library first), so
    // .libPaths() reads as R users expect. The command: the one R script at the top, else R.
    if (in_.project->has_r_files) {
      std::vector<std::string> scripts;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(in_.root, ec)) {
        auto ext = e.path().extension().string();
        if ((ext == ".R" || ext == ".r") && e.is_regular_file(ec)) scripts.push_back(e.path().filename().string());
      }
      std::sort(scripts.begin(), scripts.end());
      if (scripts.size() == 1) draft.default_command = {"Rscript", "/app/" + scripts.front()};
      else draft.default_command = {"R", "--no-save"};
    }
    return {};
  }

  std::string plan(const lock::LockFile& lock) const override { return lock.target.r ? "R " + *lock.target.r : ""; }

 private:
  // The R version the project asks for: mlpack.yaml, runtime.txt, renv.lock.
  std::optional<std::string> wanted_r() const {
    if (in_.settings.r) return in_.settings.r;
    if (in_.project) return in_.project->r_version;
    return std::nullopt;
  }

  Inputs in_;
  CranDebian cran_debian_;
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<R>(); }

}  // namespace mlpack::buildpacks::r
