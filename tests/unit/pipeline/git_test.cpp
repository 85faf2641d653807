// The image's source label: a remote made public, never with credentials.
#include <doctest/doctest.h>

#include "pipeline/git.hpp"

using mlpack::pipeline::public_source_url;

TEST_CASE("public_source_url") {
  CHECK(public_source_url("git@github.com:org/repo.git") == "https://github.com/org/repo");
  CHECK(public_source_url("https://user:token@gitlab.example.com/group/sub/repo.git") ==
        "https://gitlab.example.com/group/sub/repo");
  CHECK(public_source_url("ssh://git@host.example:2222/org/repo.git") == "https://host.example/org/repo");
  CHECK(public_source_url("git://example.org/repo") == "https://example.org/repo");
  CHECK(public_source_url("http://example.org/repo/") == "http://example.org/repo");
  CHECK(public_source_url("/srv/git/repo.git").empty());
  CHECK(public_source_url("file:///srv/git/repo.git").empty());
  CHECK(public_source_url("").empty());
}
