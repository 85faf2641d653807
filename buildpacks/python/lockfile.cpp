// A project locked by another tool (uv.lock, poetry.lock, Pipfile.lock, pylock.toml): its pins are
// taken as they are, never re-resolved. Markers are evaluated for the image's interpreter, and of
// the files each locked distribution allows, the wheel that fits the target best is chosen. Locks
// that name only hashes (Pipfile.lock) or only filenames and hashes (poetry.lock) are matched
// against the index's files; the hash decides, never the name alone.
#include <algorithm>
#include <map>
#include <set>

#include "buildpacks/python/python.hpp"
#include "detectors/project_file.hpp"
#include "detectors/python_lockfiles.hpp"
#include "net/curl_client.hpp"
#include "pypi/filename.hpp"
#include "pypi/tags.hpp"
#include "pyresolve/resolve.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::python {

using util::ErrorKind;

Result<std::optional<std::string>> find_lockfile(const fs::path& project) {
  std::error_code ec;
  for (const auto& name : detectors::lockfile_names()) {
    if (detectors::project_file_present(project / name)) return std::optional<std::string>{name};
    if (name != "pylock.toml") continue;
    // PEP 751 also allows pylock.<name>.toml; with several and no pylock.toml the choice is the user's.
    std::vector<std::string> named;
    for (const auto& e : fs::directory_iterator(project, ec)) {
      std::string f = e.path().filename().string();
      if (f.starts_with("pylock.") && f.ends_with(".toml") && f.size() > 12 && e.is_regular_file(ec)) named.push_back(f);
    }
    std::sort(named.begin(), named.end());
    if (named.size() == 1) return std::optional<std::string>{named.front()};
    if (named.size() > 1)
      return util::fail(ErrorKind::invalid_input, "the project has several lockfiles (" + util::join(named, ", ") +
                                                      "); keep one, or name it pylock.toml");
  }
  return std::optional<std::string>{};
}

Result<pypi::Target> pypi_target(const Target& target) {
  pypi::Target t;
  auto dot = target.python.find('.');
  if (dot == std::string::npos)
    return util::fail(ErrorKind::invalid_input, "Python version `" + target.python + "` is not of the form X.Y");
  try {
    t.python_major = std::stoi(target.python.substr(0, dot));
    t.python_minor = std::stoi(target.python.substr(dot + 1));
  } catch (const std::exception&) {
    return util::fail(ErrorKind::invalid_input, "Python version `" + target.python + "` is not of the form X.Y");
  }
  t.arch = target.arch;
  t.glibc = target.glibc;
  return t;
}

namespace {

std::string url_filename(const std::string& url) {
  std::string u = url.substr(0, url.find_first_of("?#"));
  return u.substr(u.find_last_of('/') + 1);
}

std::string sha256_of(const std::string& hash) {
  auto colon = hash.find(':');
  if (colon == std::string::npos) return "";
  return util::to_lower(hash.substr(0, colon)) == "sha256" ? util::to_lower(hash.substr(colon + 1)) : "";
}

std::string describe_target(const pypi::Target& t) {
  std::string s = "CPython " + std::to_string(t.python_major) + "." + std::to_string(t.python_minor) + " on " + t.arch;
  s += t.glibc ? ", glibc " + std::to_string(t.glibc->first) + "." + std::to_string(t.glibc->second) : ", no glibc";
  return s;
}

// Index clients per index URL, made when a lock needs to look files up.
class Indexes {
 public:
  Indexes(std::shared_ptr<net::HttpClient> http, pyindex::IndexOptions defaults)
      : http_(std::move(http)), defaults_(std::move(defaults)) {}

  pyindex::IndexClient& for_index(const std::string& index) {
    auto& slot = clients_[index];
    if (!slot) {
      auto options = defaults_;
      if (!index.empty()) {
        options.index_urls = {index};
        options.no_index = false;
      }
      if (!http_) http_ = net::make_curl_client();
      slot = std::make_unique<pyindex::IndexClient>(http_, options);
    }
    return *slot;
  }

 private:
  std::shared_ptr<net::HttpClient> http_;
  pyindex::IndexOptions defaults_;
  std::map<std::string, std::unique_ptr<pyindex::IndexClient>> clients_;
};

struct Choice {
  std::size_t rank = 0;
  pypi::BuildTag build;
  pyindex::DistFile file;
  std::string sha256;
};

}  // namespace

Result<std::vector<lock::Package>> resolve_lockfile(const Inputs& inputs, const Selection& selection,
                                                    const Target& target, const fs::path& cache_dir,
                                                    std::shared_ptr<net::HttpClient> http,
                                                    util::TransferObserver* transfers) {
  auto t = TRY(pypi_target(target));
  const fs::path project = inputs.root;
  const std::string name = *inputs.lockfile;
  auto env = pypi::MarkerEnvironment::for_target(t, target.python_full);
  auto imported = TRY(detectors::import_lockfile(project / name, project, env, {selection.extras, selection.groups}));

  pypi::TagRanker ranker(t);
  Indexes indexes(std::move(http), index_options(inputs, cache_dir, transfers));
  std::vector<lock::Package> out;
  for (const auto& d : imported.distributions) {
    const std::string what = name + ": " + d.name + " " + d.version;
    switch (d.source) {
      case detectors::LockedSource::directory:
        return util::fail(ErrorKind::invalid_input, what + " is the source tree `" + d.directory +
                                                        "`; mlpack installs wheels only and never runs a build backend, "
                                                        "so lock a released version or a wheel instead");
      case detectors::LockedSource::vcs:
        return util::fail(ErrorKind::invalid_input, what + " comes from `" + d.vcs_url + "` at " + d.commit +
                                                        "; mlpack installs wheels only and never builds from a repository");
      case detectors::LockedSource::index:
      case detectors::LockedSource::archive:
        break;
    }
    // The files this lock allows, each with a hash to hold it to.
    std::vector<pyindex::DistFile> files;
    std::vector<std::string> hashes;
    bool needs_index = false;
    for (const auto& f : d.files) {
      pyindex::DistFile file;
      file.filename = !f.filename.empty() ? f.filename : url_filename(f.url);
      file.url = !f.url.empty() ? f.url : !f.path.empty() ? "file://" + f.path : "";
      if (!f.sha256.empty()) file.hashes["sha256"] = util::to_lower(f.sha256);
      file.size = f.size;
      file.index = d.index;
      if (file.url.empty()) {
        needs_index = true;  // poetry: a filename and a hash, found on the index
        if (!f.sha256.empty()) hashes.push_back(util::to_lower(f.sha256));
        continue;
      }
      files.push_back(std::move(file));
    }
    for (const auto& h : d.hashes)
      if (auto hex = sha256_of(h); !hex.empty()) {
        hashes.push_back(hex);
        needs_index = true;  // Pipfile.lock: hashes only
      }
    std::set<std::string> wanted(hashes.begin(), hashes.end());
    if (needs_index) {
      auto listed = TRY_CONTEXT(indexes.for_index(d.index).project_files(d.name), what);
      for (const auto& f : listed) {
        auto it = f.hashes.find("sha256");
        if (it != f.hashes.end() && wanted.contains(it->second)) files.push_back(f);
      }
    }
    std::optional<Choice> best;
    std::vector<std::string> seen;
    for (const auto& f : files) {
      if (!f.filename.ends_with(".whl")) {
        seen.push_back(f.filename);
        continue;
      }
      auto parsed = TRY_CONTEXT(pypi::parse_wheel_filename(f.filename), what);
      if (parsed.name != d.name)
        return util::fail(ErrorKind::invalid_input, what + " lists `" + f.filename + "`, a wheel of another project");
      seen.push_back(f.filename);
      auto rank = ranker.rank(parsed.tags);
      if (!rank) continue;
      pypi::BuildTag build = parsed.build.value_or(pypi::BuildTag{});
      if (!best || *rank < best->rank || (*rank == best->rank && build > best->build)) {
        auto it = f.hashes.find("sha256");
        best = Choice{*rank, build, f, it == f.hashes.end() ? "" : it->second};
      }
    }
    if (!best) {
      std::string listed = seen.empty() ? "no files" : util::join(seen, ", ");
      return util::fail(ErrorKind::unsatisfiable,
                        what + " has no wheel for the image (" + describe_target(t) + "); the lock allows: " + listed +
                            (needs_index && seen.empty() ? " (none of its hashes is on " +
                                                               util::redact_url(d.index.empty() ? "the index" : d.index) + ")"
                                                         : ""));
    }
    if (best->sha256.empty())
      return util::fail(ErrorKind::integrity, what + ": the lock gives no sha256 for `" + best->file.filename +
                                                  "`, so it cannot be verified");
    pyresolve::Package p{d.name, d.version, best->file, best->sha256, d.direct};
    auto l = pyresolve::lock_package(p);
    l.extra["lockfile"] = name;
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace mlpack::buildpacks::python
