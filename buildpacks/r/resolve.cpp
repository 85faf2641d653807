// Resolving an R project into `cran` lock entries: R's version from the OS, the repositories'
// indexes, DESCRIPTION / install.R through the R provider or renv.lock's pins as they are, every
// package downloaded and checked to be a binary this R loads, and their system libraries.
#include <algorithm>
#include <mutex>
#include <set>

#include "buildpacks/r/r.hpp"
#include "cran/base_packages.hpp"
#include "cran/license.hpp"
#include "cran/package.hpp"
#include "cran/repository.hpp"
#include "cran/sysreqs.hpp"
#include "cranindex/client.hpp"
#include "cranresolve/solve.hpp"
#include "rpkg/rpkg.hpp"
#include "util/expected.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

namespace mlpack::buildpacks::r {

using util::ErrorKind;

std::optional<cran::Version> r_of_debian_version(std::string_view v) {
  if (auto colon = v.find(':'); colon != std::string_view::npos) v = v.substr(colon + 1);
  v = v.substr(0, v.find('-'));
  // "4.2.2.20221110": R's own version is the first three numbers.
  std::string out;
  int parts = 0;
  for (std::size_t i = 0; i < v.size() && parts < 3;) {
    std::size_t j = i;
    while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j]))) ++j;
    if (j == i) break;
    out += (parts ? "." : "") + std::string(v.substr(i, j - i));
    ++parts;
    if (j >= v.size() || v[j] != '.') break;
    i = j + 1;
  }
  if (parts < 2) return std::nullopt;
  auto parsed = cran::Version::parse(out);
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::string suite_of(std::string_view base) {
  auto colon = base.find(':');
  if (colon == std::string_view::npos) return "";
  return std::string(base.substr(colon + 1));
}

std::string debian_release(std::string_view suite) {
  static const std::map<std::string, std::string, std::less<>> releases = {
      {"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"}};
  auto it = releases.find(suite);
  return it == releases.end() ? "" : it->second;
}

namespace {

bool is_ppm_host(std::string_view url) {
  auto host = util::url_authority(url);
  return host == "packagemanager.posit.co" || host == "packagemanager.rstudio.com" || host == "p3m.dev";
}

bool is_cran_mirror(std::string_view url) {
  auto host = util::url_authority(url);
  return host == "cloud.r-project.org" || host == "cran.r-project.org" || host == "cran.rstudio.com" ||
         host.ends_with(".r-project.org");
}

// PPM's source URL "…/cran/latest" or "…/cran/2024-01-15" as its Linux binaries for `suite`
// ("…/cran/__linux__/bookworm/latest"), as renv does for Linux.
std::string ppm_binary_url(std::string url, std::string_view suite) {
  while (url.ends_with('/')) url.pop_back();
  if (url.find("/__linux__/") != std::string::npos || suite.empty()) return url;
  auto slash = url.rfind('/');
  auto repo = url.substr(0, slash);
  auto snapshot = url.substr(slash + 1);
  return repo + "/__linux__/" + std::string(suite) + "/" + snapshot;
}

std::string arch_of(const oci::Platform& platform) {
  if (platform.architecture == "arm64") return "aarch64";
  if (platform.architecture == "amd64") return "x86_64";
  return platform.architecture;
}

// One package chosen: where it comes from and what is known of it before the download.
struct Choice {
  std::string name;
  std::string version;
  std::string repo;          // with credentials, for requests
  std::string url;           // the tarball, with credentials
  const cran::PackageRecord* index_record = nullptr;  // null: from the Archive
  std::string where;         // what asked for it, for messages
};

}  // namespace

namespace {

// A repository as a file names it, as the Linux binary repository to read.
std::string binary_repository(std::string url, std::string_view suite, const std::string& ppm_default) {
  if (is_ppm_host(url)) url = ppm_binary_url(url, suite);
  else if (is_cran_mirror(url)) url = ppm_default;
  while (url.ends_with('/')) url.pop_back();
  return url;
}

std::string ppm_default_for(const Inputs& in, std::string_view suite) {
  // A base that names no Debian suite gets PPM's binaries for the default base's suite.
  static const std::string default_suite = suite_of(debian_base::default_distribution);
  return cran::ppm_repository(suite.empty() ? std::string_view(default_suite) : suite,
                              in.project && in.project->snapshot_date ? *in.project->snapshot_date : "latest");
}

}  // namespace

std::vector<std::string> repositories_for(const Inputs& in, std::string_view suite) {
  if (!in.settings.cran.empty()) return in.settings.cran;
  std::string ppm_default = ppm_default_for(in, suite);
  std::vector<std::string> out;
  if (in.project && in.project->renv)
    for (const auto& repo : in.project->renv->repositories) {
      std::string url = binary_repository(repo.url, suite, ppm_default);
      if (std::find(out.begin(), out.end(), url) == out.end()) out.push_back(url);
    }
  if (out.empty()) out.push_back(ppm_default);
  return out;
}

Result<void> resolve_packages(Context& ctx, const Inputs& in, lock::LockFile& lock) {
  const auto& project = *in.project;
  // R is what the OS installs: Debian's r-base-core.
  std::optional<cran::Version> r_version;
  if (const auto* os = ctx.facts.find(facts::os_packages))
    for (const auto& p : *os)
      if (p.name == "r-base-core") r_version = r_of_debian_version(p.version);
  std::string base = lock.base.empty() ? ctx.base.name : lock.base;
  if (const auto* os = ctx.facts.find(facts::base_os); os && !os->distribution.empty()) base = os->distribution;
  if (!r_version)
    return util::fail(ErrorKind::unsupported, "R projects need Debian's R (r-base-core) in the image, and the base `" + base +
                                                  "` has none: use a Debian base (debian:bookworm, debian:trixie)");
  std::string suite = suite_of(base);
  // debian-base chose r-base-core for this (runtime_version()); on a registry base image R is the base's.
  auto wanted = wanted_r(in);
  if (!wanted.accepts(*r_version))
    return util::fail(ErrorKind::unsatisfiable,
                      wanted.describe() + ", but " + base + " has R " + r_version->str() +
                          ": build on a Debian release that has it (debian:trixie has R 4.5), or let mlpack lay "
                          "down the OS (a debian: base), which takes R from CRAN's Debian repository ("
                          + std::string(cran_debian_url) + " " + suite + "-cran40/) when the suite's is too old");
  lock.target.r = r_version->str();
  std::string arch = arch_of(ctx.options.platform);

  auto repos = repositories_for(in, suite);
  cranindex::ClientOptions options;
  options.cache_dir = ctx.options.cache_dir;
  options.user_agent = cran::r_user_agent(*r_version, arch);
  options.transfers = ctx.options.transfers;
  cranindex::Client client(http_client(ctx), options);
  auto indexes = TRY_CONTEXT(client.fetch_indexes(repos), "reading the R package repositories");

  // What to install, with where each comes from (index records point into `indexes` or `request`).
  std::vector<Choice> choices;
  cranresolve::Request request;
  auto find_in_index = [&](std::string_view name, std::string_view version,
                           std::optional<std::size_t> preferred) -> std::optional<Choice> {
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t i = 0; i < indexes.size(); ++i) {
        if ((pass == 0) != (preferred && *preferred == i)) continue;
        for (const auto& rec : indexes[i].packages)
          if (rec.name == name && rec.version.str() == version)
            return Choice{rec.name, rec.version.str(), repos[i], cran::package_url(repos[i], rec), &rec, ""};
      }
    return std::nullopt;
  };
  auto find_in_archive = [&](std::string_view name, std::string_view version) -> Result<std::optional<Choice>> {
    for (const auto& repo : repos) {
      auto versions = TRY(client.archived_versions(repo, name));
      if (std::find(versions.begin(), versions.end(), version) != versions.end())
        return std::optional<Choice>(Choice{std::string(name), std::string(version), repo,
                                            cran::archive_url(repo, name, version), nullptr, ""});
    }
    return std::optional<Choice>();
  };

  if (project.renv) {
    // renv.lock is the whole set, pinned: taken as it is, as uv.lock is.
    const auto& renv = *project.renv;
    std::vector<std::string> missing;
    for (const auto& p : renv.packages) {
      if (cran::is_base_package(p.name)) continue;
      // The repository its record names ("CRAN", "RSPM" or a URL) is searched first.
      std::optional<std::size_t> preferred;
      std::string named = p.repository;
      for (const auto& repo : renv.repositories)
        if (repo.name == p.repository) named = repo.url;
      if (!named.empty() && in.settings.cran.empty()) {
        auto url = binary_repository(named, suite, ppm_default_for(in, suite));
        for (std::size_t i = 0; i < repos.size(); ++i)
          if (repos[i] == url) preferred = i;
      }
      auto choice = find_in_index(p.name, p.version, preferred);
      if (!choice) choice = TRY(find_in_archive(p.name, p.version));
      if (!choice) {
        missing.push_back(p.name + " " + p.version);
        continue;
      }
      choice->where = renv.file + ":" + std::to_string(p.line);
      choices.push_back(std::move(*choice));
    }
    if (!missing.empty()) {
      std::vector<std::string> shown;
      for (const auto& r : repos) shown.push_back(util::redact_url(r));
      return util::fail(ErrorKind::not_found, renv.file + " pins versions no repository has (nor its Archive): " +
                                                  util::join(missing, ", ") + "; searched " + util::join(shown, ", "));
    }
    // What DESCRIPTION or install.R ask for must be among the pins.
    for (const auto& req : project.requirements) {
      if (req.field == "renv.lock") continue;
      auto it = std::find_if(choices.begin(), choices.end(), [&](const Choice& c) { return c.name == req.name; });
      if (it == choices.end())
        return util::fail(ErrorKind::unsatisfiable, req.file + ":" + std::to_string(req.line) + " asks for `" + req.name + "`, which " +
                                                        renv.file + " does not pin: run renv::snapshot() again");
    }
  } else {
    request.r_version = *r_version;
    for (std::size_t i = 0; i < indexes.size(); ++i) request.repositories.push_back({indexes[i].url, indexes[i].packages});
    for (const auto& req : project.requirements) {
      cranresolve::Requirement r;
      r.name = req.name;
      r.where = req.file + ":" + std::to_string(req.line);
      if (req.exact_version) {
        auto v = TRY_CONTEXT(cran::Version::parse(*req.exact_version), r.where);
        request.pins[req.name] = v;
        // An exact version the index no longer lists may be in the Archive: its DESCRIPTION,
        // read from the download, makes it a candidate like the rest.
        if (!find_in_index(req.name, *req.exact_version, std::nullopt)) {
          auto archived = TRY(find_in_archive(req.name, *req.exact_version));
          if (archived) {
            auto d = TRY(client.download(archived->url, std::nullopt, std::nullopt));
            auto rec = TRY_CONTEXT(rpkg::inspect(d.path, ctx.options.unpack), archived->url);
            request.repositories.push_back({archived->repo, {rec}});
          }
        }
      } else if (req.constraint) {
        auto deps = TRY_CONTEXT(cran::parse_dependencies(req.name + " (" + *req.constraint + ")"), r.where);
        if (!deps.empty()) r.constraint = deps.front().constraint;
      }
      request.requirements.push_back(std::move(r));
    }
    auto solution = TRY(cranresolve::solve(request));
    for (const auto& s : solution.packages) {
      bool archived = s.repository >= indexes.size();
      const auto& repo = archived ? request.repositories[s.repository].url : repos[s.repository];
      std::string url = archived ? cran::archive_url(repo, s.record->name, s.record->version.str())
                                 : cran::package_url(repo, *s.record);
      choices.push_back(Choice{s.record->name, s.record->version.str(), repo, url, archived ? nullptr : s.record, ""});
    }
  }
  std::sort(choices.begin(), choices.end(), [](const Choice& a, const Choice& b) { return a.name < b.name; });

  // Each package downloaded, its sha256 pinned, its DESCRIPTION read: a binary this R loads?
  struct Checked {
    cranindex::Downloaded file;
    cran::PackageRecord record;
    std::optional<util::Error> refused;
  };
  std::vector<Checked> checked(choices.size());
  TRY(util::parallel_for(choices.size(), 4, [&](std::size_t i) -> Result<void> {
    const auto& c = choices[i];
    std::optional<std::string> sha, md5;
    if (c.index_record && !c.index_record->sha256.empty()) sha = c.index_record->sha256;
    if (c.index_record && !c.index_record->md5sum.empty()) md5 = c.index_record->md5sum;
    checked[i].file = TRY_CONTEXT(client.download(c.url, sha, md5), "R package " + c.name + " " + c.version);
    checked[i].record = TRY_CONTEXT(rpkg::inspect(checked[i].file.path, ctx.options.unpack),
                                    "R package " + c.name + " " + c.version + " (" + util::redact_url(c.url) + ")");
    if (checked[i].record.name != c.name || checked[i].record.version.str() != c.version)
      return util::fail(ErrorKind::integrity, util::redact_url(c.url) + " holds " + checked[i].record.name + " " +
                                                  checked[i].record.version.str() + ", not " + c.name + " " + c.version);
    if (auto ok = cran::check_loadable(checked[i].record, *r_version, arch); !ok) checked[i].refused = ok.error();
    return {};
  }));
  std::vector<std::string> refused;
  for (const auto& c : checked)
    if (c.refused) refused.push_back(c.refused->message);
  if (!refused.empty())
    return util::fail(ErrorKind::unsatisfiable,
                      std::to_string(refused.size()) + " R package(s) are not binaries R " + r_version->str() + " on " + arch +
                          " can load, and mlpack never compiles: " + util::join(refused, "; ") +
                          ". Use a repository that serves Linux binaries for this R (Posit Package Manager's "
                          "__linux__/" + suite + "), a dated snapshot from when they were built (runtime.txt r-X.Y-YYYY-MM-DD), "
                          "or the R version they were built for");

  // The system libraries their SystemRequirements name, from Debian.
  std::set<std::string> devs;
  std::vector<std::string> needing;
  std::string release = debian_release(suite);
  for (const auto& c : checked) {
    if (c.record.system_requirements.empty()) continue;
    auto found = cran::match(cran::builtin_rules(), c.record.system_requirements, "debian", release);
    if (!found.empty()) needing.push_back(c.record.name);
    devs.insert(found.begin(), found.end());
  }
  if (!devs.empty()) {
    if (const auto* add = ctx.facts.find(facts::os_add)) {
      facts::OsRequest more;
      more.runtime_of_dev.assign(devs.begin(), devs.end());
      more.why = "the system libraries of R packages (" + util::join(needing, ", ") + ")";
      TRY((*add)(more, lock));
    }
  }

  std::set<std::string> sources;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    const auto& rec = checked[i].record;
    lock::Package p;
    p.ecosystem = "cran";
    p.name = c.name;
    p.version = c.version;
    std::string contrib = cran::contrib_url(c.repo);
    p.source = util::strip_userinfo(contrib);
    p.filename = c.url.starts_with(contrib + "/") ? c.url.substr(contrib.size() + 1) : util::url_filename(c.url);
    p.sha256 = checked[i].file.sha256;
    p.size = checked[i].file.size;
    p.extra["repository"] = util::strip_userinfo(c.repo);
    if (rec.built) p.extra["built"] = "R " + rec.built->r_version.str() + (rec.built->platform.empty() ? "" : "; " + rec.built->platform);
    // The SBOM's licence: an SPDX expression when R's standard form pins one down, else as written.
    if (!rec.license.empty()) p.extra["license"] = cran::license_to_spdx(rec.license).value_or(rec.license);
    if (c.index_record && !c.index_record->md5sum.empty()) p.extra["md5"] = c.index_record->md5sum;
    for (const auto& d : rec.runtime_dependencies())
      p.depends.push_back(d.constraint ? d.name + " (" + d.constraint->str() + ")" : d.name);
    sources.insert(util::strip_userinfo(c.repo));
    lock.packages.push_back(std::move(p));
  }
  for (const auto& s : sources) lock.sources.push_back(lock::Source{"cran", s, "", {}, ""});
  return {};
}

}  // namespace mlpack::buildpacks::r
