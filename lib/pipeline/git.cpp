#include "pipeline/git.hpp"

#include "util/process.hpp"
#include "util/text.hpp"

namespace mlpack::pipeline {

namespace {

std::string git(const std::filesystem::path& project, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", project.string()});
  auto out = util::program_output(args, 1 << 16);
  return out ? util::trim(*out) : "";
}

}  // namespace

std::string public_source_url(const std::string& remote) {
  std::string url = remote;
  auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    // scp-like: [user@]host:path
    auto colon = url.find(':');
    auto slash = url.find('/');
    if (colon == std::string::npos || (slash != std::string::npos && slash < colon)) return "";
    std::string host = url.substr(0, colon);
    if (auto at = host.find('@'); at != std::string::npos) host = host.substr(at + 1);
    if (host.empty()) return "";
    url = "https://" + host + "/" + url.substr(colon + 1);
  } else {
    std::string s = util::to_lower(url.substr(0, scheme));
    if (s != "https" && s != "http" && s != "ssh" && s != "git") return "";
    auto rest = url.substr(scheme + 3);
    auto end = rest.find('/');
    std::string authority = rest.substr(0, end);
    if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
    if (s == "ssh") {
      if (auto colon = authority.find(':'); colon != std::string::npos) authority = authority.substr(0, colon);
      s = "https";
    }
    if (s == "git") s = "https";
    url = s + "://" + authority + (end == std::string::npos ? "" : rest.substr(end));
  }
  if (url.ends_with(".git")) url.resize(url.size() - 4);
  while (url.ends_with('/')) url.pop_back();
  return url;
}

GitFacts git_facts(const std::filesystem::path& project) {
  GitFacts facts;
  std::string head = git(project, {"rev-parse", "--show-toplevel"});
  if (head.empty()) return facts;
  std::string ct = git(project, {"log", "-1", "--format=%ct", "--", "."});  // the folder's last change
  if (!ct.empty() && ct.find_first_not_of("0123456789") == std::string::npos) facts.commit_time = std::stoll(ct);
  std::string rev = git(project, {"rev-parse", "HEAD"});
  if (rev.size() >= 40 && rev.find_first_not_of("0123456789abcdef") == std::string::npos) facts.revision = rev;
  facts.source = public_source_url(git(project, {"config", "--get", "remote.origin.url"}));
  return facts;
}

}  // namespace mlpack::pipeline
