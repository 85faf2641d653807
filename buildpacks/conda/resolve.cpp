// The conda buildpack's lock step.
#include "buildpacks/conda/resolve.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "conda/channel_url.hpp"
#include "condaindex/channel.hpp"
#include "condaindex/client.hpp"
#include "condaresolve/solve.hpp"
#include "util/expected.hpp"
#include "util/url.hpp"

namespace mlpack::buildpacks::conda {

using util::ErrorKind;

namespace {


condaindex::ChannelClient client_for(const Context& ctx) {
  condaindex::ClientOptions o;
  o.cache_dir = ctx.options.cache_dir;
  o.transfers = ctx.options.transfers;
  return condaindex::ChannelClient(http_client(ctx), std::move(o));
}

// "2.36" from the libc fact; empty when the base says nothing (a base without glibc).
std::string glibc_of(const Context& ctx) {
  const auto* libc = ctx.facts.find(facts::libc_version);
  return libc ? *libc : std::string();
}

// A URL as the lock may keep it: userinfo and conda's `/t/<token>` removed, not masked (the lock
// is shared; the credentials come from the project's channels again when packages are fetched).
std::string strip_credentials(std::string_view url) { return mlpack::conda::strip_channel_credentials(url); }

// "https://host/chan/linux-64/x-1-0.conda" → {"https://host/chan", "linux-64/x-1-0.conda"}.
std::pair<std::string, std::string> split_package_url(const std::string& url) {
  auto last = url.rfind('/');
  if (last == std::string::npos || last == 0) return {"", url};
  auto before = url.rfind('/', last - 1);
  if (before == std::string::npos) return {"", url};
  return {url.substr(0, before), url.substr(before + 1)};
}

void add_source(lock::LockFile& lock, const std::string& url) {
  for (const auto& s : lock.sources)
    if (s.ecosystem == "conda" && s.url == url) return;
  lock.sources.push_back(lock::Source{"conda", url, "", {}, ""});
}

// A package named by URL and hash (conda-lock.yml, @EXPLICIT): downloaded and verified now, so a
// wrong hash fails the lock (exit 1) and the entry gets the sha256 and size the lock needs.
Result<lock::Package> pinned_entry(condaindex::ChannelClient& client, const std::string& url, const std::string& sha256,
                                   const std::string& md5, const std::string& where) {
  std::string clean = strip_credentials(url);
  auto [channel, path] = split_package_url(clean);
  auto fn = path.substr(path.rfind('/') + 1);
  auto parts = TRY_CONTEXT(split_file_name(fn), where);
  auto blob = TRY_CONTEXT(client.download_package(condaindex::PackageFile{url, sha256, md5, 0}), where);
  std::error_code ec;
  auto size = fs::file_size(blob, ec);
  lock::Package p;
  p.ecosystem = "conda";
  p.name = parts.name;
  p.version = parts.version;
  p.source = channel;
  p.filename = path;
  p.sha256 = blob.filename().string();  // the blob store names files by their sha256
  p.size = ec ? 0 : size;
  p.extra["build"] = parts.build;
  auto slash = path.find('/');
  if (slash != std::string::npos) p.extra["subdir"] = path.substr(0, slash);
  if (!md5.empty()) p.extra["md5"] = md5;
  return p;
}

Result<void> lock_conda_lock(Context& ctx, const Inputs& in, const std::string& subdir, lock::LockFile& lock) {
  const auto& cl = *in.conda_lock;
  auto client = client_for(ctx);
  if (std::find(cl.platforms.begin(), cl.platforms.end(), subdir) == cl.platforms.end())
    return util::fail(ErrorKind::invalid_input, cl.file + " has no packages for " + subdir + " (it locks " +
                                                    [&] {
                                                      std::string s;
                                                      for (const auto& p : cl.platforms) s += (s.empty() ? "" : ", ") + p;
                                                      return s;
                                                    }() +
                                                    "); run conda-lock with `-p " + subdir + "`");
  for (const auto& pkg : cl.packages) {
    if (pkg.platform != subdir || pkg.optional || pkg.category != "main") continue;
    std::string where = cl.file + ":" + std::to_string(pkg.line);
    if (pkg.manager == "pip") {
      // Kept with the conda environment: part 2 installs it into the conda prefix.
      lock::Package p;
      p.ecosystem = "pypi";
      p.name = pkg.name;
      p.version = pkg.version;
      auto clean = strip_credentials(pkg.url);
      auto slash = clean.rfind('/');
      p.source = clean.substr(0, slash);
      p.filename = clean.substr(slash + 1);
      if (pkg.sha256.empty())
        return util::fail(ErrorKind::invalid_input, where + ": pip package `" + pkg.name + "` has no sha256");
      p.sha256 = pkg.sha256;
      p.extra["installer"] = "conda";
      lock.packages.push_back(std::move(p));
      continue;
    }
    auto p = TRY(pinned_entry(client, pkg.url, pkg.sha256, pkg.md5, where));
    if (p.name != pkg.name)
      return util::fail(ErrorKind::invalid_input, where + ": package `" + pkg.name + "` points at `" + p.filename + "`");
    for (const auto& [name, constraint] : pkg.dependencies)
      p.depends.push_back(constraint.empty() || constraint == "*" ? name : name + " " + constraint);
    add_source(lock, p.source);
    lock.packages.push_back(std::move(p));
  }
  return {};
}

Result<void> lock_explicit(Context& ctx, const Inputs& in, const std::string& subdir, lock::LockFile& lock) {
  // conda-lock renders one file per platform: take the target's. A single explicit file without a
  // platform comment is taken as written for the target.
  const detectors::ExplicitEnvironment* chosen = nullptr;
  for (const auto& e : in.explicit_envs)
    if (e.platform == subdir || (in.explicit_envs.size() == 1 && !e.platform)) chosen = &e;
  if (!chosen) {
    std::string have;
    for (const auto& e : in.explicit_envs) have += (have.empty() ? "" : ", ") + e.file + " (" + e.platform.value_or("?") + ")";
    return util::fail(ErrorKind::invalid_input, "no explicit conda lock for " + subdir + ": found " + have);
  }
  auto client = client_for(ctx);
  for (const auto& pkg : chosen->packages) {
    auto p = TRY(pinned_entry(client, pkg.url, pkg.sha256, pkg.md5, chosen->file + ":" + std::to_string(pkg.line)));
    add_source(lock, p.source);
    lock.packages.push_back(std::move(p));
  }
  return {};
}

std::string where(const detectors::CondaSpec& s) { return s.file + ":" + std::to_string(s.line); }

// Whether a spec's `channel::` names `c`: its name, its URL, or the URL's last segment.
bool names_channel(const condaindex::Channel& c, const std::string& written) {
  std::string w = strip_credentials(written);
  while (w.ends_with('/')) w.pop_back();
  if (w == c.name || w == c.url) return true;
  auto slash = c.url.rfind('/');
  return slash != std::string::npos && c.url.substr(slash + 1) == w;
}

Result<void> solve_environment(Context& ctx, const Inputs& in, const ChannelSettings& settings,
                               const std::string& subdir, lock::LockFile& lock) {
  auto channels = TRY(parse_channels(in, settings));
  // A spec may name a channel (`pytorch::torch`) only when `channels:` lists it: mlpack uses
  // exactly the channels listed.
  for (const auto& s : in.specs) {
    if (!s.spec.channel()) continue;
    bool listed = std::any_of(channels.begin(), channels.end(),
                              [&](const condaindex::Channel& c) { return names_channel(c, *s.spec.channel()); });
    if (!listed)
      return util::fail(ErrorKind::invalid_input, where(s.written) + ": `" + s.written.text + "` names the channel `" +
                                                      mlpack::conda::redact_channel_url(*s.spec.channel()) +
                                                      "`, which `channels:` does not list");
  }
  auto client = client_for(ctx);
  auto fetched = TRY(client.fetch_repodata(channels, {subdir, "noarch"}));

  condaresolve::Request request;
  for (const auto& c : channels) request.channels.push_back(condaresolve::ChannelPackages{c.name, {}});
  for (const auto& f : fetched)
    if (f.found) request.channels[f.channel].subdirs.push_back(&f.repodata);
  for (const auto& s : in.specs) request.specs.push_back(condaresolve::Spec{s.spec, where(s.written), s.written.text});
  std::optional<std::string> cuda;
  if (const auto* decision = ctx.project.facts.find(facts::cuda)) cuda = decision->version;
  request.virtual_packages =
      TRY(condaresolve::target_virtual_packages(ctx.options.platform.architecture, glibc_of(ctx), cuda));
  auto solution = TRY(condaresolve::solve(request));

  for (const auto& v : request.virtual_packages)
    lock.target.virtual_packages[v.name] = v.build == "0" ? v.version : v.version + "=" + v.build;
  for (const auto& c : channels) add_source(lock, c.url);
  for (const auto& r : solution.packages) {
    auto entry = lock_entry(r);
    if (entry.sha256.empty()) {
      // Old repodata has only an md5: the package is fetched (md5-checked) for its sha256.
      const condaindex::Channel* channel = nullptr;
      for (const auto& c : channels)
        if (c.url == r.channel) channel = &c;
      std::string url = channel ? channel->with_credentials(r.url) : r.url;
      auto blob = TRY(client.download_package(condaindex::PackageFile{url, "", r.md5, r.size}));
      entry.sha256 = blob.filename().string();
    }
    lock.packages.push_back(std::move(entry));
    if (r.name == "python" && !lock.target.python) {
      // The environment's interpreter is the image's Python: X.Y of the solved python.
      auto first = r.version.find('.');
      auto second = first == std::string::npos ? first : r.version.find('.', first + 1);
      lock.target.python = r.version.substr(0, second);
    }
  }
  return {};
}

}  // namespace

Result<std::vector<condaindex::Channel>> parse_channels(const Inputs& in, const ChannelSettings& settings) {
  std::vector<condaindex::Channel> channels;
  for (const auto& c : in.channels) {
    std::vector<std::string> texts{c.text};
    if (c.text == "defaults" && !settings.default_channels.empty()) texts = settings.default_channels;
    for (const auto& text : texts) {
      auto parsed = condaindex::parse_channel(text, settings.alias);
      if (!parsed) return util::fail(ErrorKind::invalid_input, c.where + ": " + parsed.error().message);
      for (auto& ch : *parsed) channels.push_back(std::move(ch));
    }
  }
  return channels;
}

Result<FileName> split_file_name(std::string_view fn) {
  FileName out;
  std::string_view stem;
  if (fn.ends_with(".conda")) {
    out.extension = ".conda";
    stem = fn.substr(0, fn.size() - 6);
  } else if (fn.ends_with(".tar.bz2")) {
    out.extension = ".tar.bz2";
    stem = fn.substr(0, fn.size() - 8);
  } else {
    return util::fail(ErrorKind::invalid_input, "`" + std::string(fn) + "` is not a conda package (.conda or .tar.bz2)");
  }
  auto b = stem.rfind('-');
  auto v = b == std::string_view::npos || b == 0 ? std::string_view::npos : stem.rfind('-', b - 1);
  if (v == std::string_view::npos || v == 0 || b + 1 == stem.size() || v + 1 == b)
    return util::fail(ErrorKind::invalid_input, "`" + std::string(fn) + "` is not named <name>-<version>-<build>");
  out.name = stem.substr(0, v);
  out.version = stem.substr(v + 1, b - v - 1);
  out.build = stem.substr(b + 1);
  return out;
}

lock::Package lock_entry(const mlpack::conda::PackageRecord& r) {
  lock::Package p;
  p.ecosystem = "conda";
  p.name = r.name;
  p.version = r.version;
  std::string url = strip_credentials(r.url);
  std::string channel = strip_credentials(r.channel);
  if (!channel.empty() && url.starts_with(channel + "/")) {
    p.source = channel;
    p.filename = url.substr(channel.size() + 1);
  } else {
    p.filename = url;  // CEP 15: a base_url elsewhere
  }
  p.sha256 = r.sha256;
  p.size = r.size;
  p.extra["build"] = r.build;
  p.extra["build_number"] = std::to_string(r.build_number);
  p.extra["subdir"] = r.subdir;
  if (!r.md5.empty()) p.extra["md5"] = r.md5;
  if (!r.license.empty()) p.extra["license"] = r.license;
  if (!r.noarch.empty()) p.extra["noarch"] = r.noarch;
  if (!r.python_site_packages_path.empty()) p.extra["python_site_packages_path"] = r.python_site_packages_path;
  p.depends = r.depends;
  p.constrains = r.constrains;
  return p;
}

Result<void> resolve_environment(Context& ctx, const Inputs& in, const ChannelSettings& settings, lock::LockFile& lock) {
  auto subdir = TRY(condaindex::platform_subdir(ctx.options.platform.os, ctx.options.platform.architecture));
  if (in.conda_lock) return lock_conda_lock(ctx, in, subdir, lock);
  if (!in.explicit_envs.empty()) return lock_explicit(ctx, in, subdir, lock);
  return solve_environment(ctx, in, settings, subdir, lock);
}

}  // namespace mlpack::buildpacks::conda
