#pragma once
// The buildpacks every build runs, in order: each step runs them bottom to top, and each may read
// what the ones before it found (python reads the interpreter and glibc debian-base provides; app
// takes the command python proposes). A new ecosystem is a folder implementing Buildpack plus its
// line in each list below.
#include <memory>

#include "buildpacks/buildpack.hpp"

namespace mlpack::buildpacks {

namespace debian_base { std::shared_ptr<Buildpack> make_buildpack(); }
namespace python { std::shared_ptr<Buildpack> make_buildpack(); }
namespace app { std::shared_ptr<Buildpack> make_buildpack(); }

// Fresh instances: a buildpack may keep what it detected in one project.
inline Buildpacks default_buildpacks() {
  return {debian_base::make_buildpack(), python::make_buildpack(), app::make_buildpack()};
}

}  // namespace mlpack::buildpacks
