#pragma once
// The buildpacks every build runs, in order: each step runs them bottom to top, and each may read
// the facts the ones before it published (python reads the interpreter and libc debian-base
// provides; app takes the command python proposes). A new ecosystem is a folder implementing
// Buildpack plus its line below.
#include <memory>

#include <nlohmann/json.hpp>

#include "buildpacks/buildpack.hpp"

namespace mlpack::buildpacks {

namespace debian_base { std::shared_ptr<Buildpack> make_buildpack(); }
namespace conda { std::shared_ptr<Buildpack> make_buildpack(); }
namespace python { std::shared_ptr<Buildpack> make_buildpack(); }
namespace r { std::shared_ptr<Buildpack> make_buildpack(); }
namespace cuda { std::shared_ptr<Buildpack> make_buildpack(); }  // after the ecosystems: reads their CUDA hints
namespace app { std::shared_ptr<Buildpack> make_buildpack(); }

// Fresh instances: a buildpack may keep what it detected in one project.
inline Buildpacks default_buildpacks() {
  return {debian_base::make_buildpack(), conda::make_buildpack(), python::make_buildpack(), r::make_buildpack(),
          cuda::make_buildpack(),
          app::make_buildpack()};
}

// The keys of `mlpack detect --json` that PRODUCT.md promises whatever the project holds, with
// their value when no buildpack fills them in (an ecosystem not built yet, or one that did not
// apply).
inline nlohmann::json detect_defaults() {
  return {{"python", nullptr},
          {"r", nullptr},
          {"cuda", nullptr},
          {"requirements", nlohmann::json::array()},
          {"indexes", nlohmann::json::array()},
          {"find_links", nlohmann::json::array()}};
}

}  // namespace mlpack::buildpacks
