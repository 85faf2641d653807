#pragma once
// What git says of a project folder, for the image's labels and `created` time. Optional facts: no
// repository, or no git installed, gives empty values and never an error.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mlpack::pipeline {

struct GitFacts {
  std::optional<std::int64_t> commit_time;  // HEAD's committer time (%ct)
  std::string revision;                     // HEAD's full commit id
  std::string source;                       // remote.origin.url as an https URL, without credentials
};

GitFacts git_facts(const std::filesystem::path& project);

// "git@github.com:org/repo.git" → "https://github.com/org/repo"; an http(s) URL loses its userinfo
// and ".git"; other forms (file paths) give "" because they mean nothing outside this machine.
std::string public_source_url(const std::string& remote);

}  // namespace mlpack::pipeline
