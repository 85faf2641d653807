#pragma once
// The one check for the symbolic links an installer puts into an image (wheels today; conda and
// R packages share it): where each link leads, resolved against the links the archive itself
// creates, not only lexically.
#include <span>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::archive {

// A link an archive creates: where it is (relative, "/"-separated, as entries name paths) and
// its target as stored.
struct LinkSpec {
  std::string path;
  std::string target;
};

// Checks every link of `links`, resolved from its own directory, step by step:
//  - its target is relative (an absolute one would point into the base image);
//  - no step climbs out of `root` (relative, "/"-separated; "" for the image root), and it ends
//    strictly below `root`;
//  - no step passes through a link of `links` or `existing` (the links already in the tree,
//    such as a venv's lib64 -> lib): through a link, `..` goes where a lexical check cannot see.
//    With `up -> ../../..` beside it, `esc -> up/../../../..` looks as if it stayed inside, and
//    reaches `/`. Naming another link as the last component is fine: that link is checked too.
//  - the link's own directory is no link either.
// integrity error naming the first link that fails, its target and why.
util::Result<void> check_links(std::span<const LinkSpec> links, std::string_view root,
                               std::span<const LinkSpec> existing = {});

}  // namespace mlpack::archive
