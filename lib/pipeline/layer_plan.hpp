#pragma once
// The image's one layer plan (issue 17): every package the lock holds, of every ecosystem, planned
// once by lib/layerplan within the image's layer budget, and published for the buildpacks
// (buildpacks::facts::layer_plan) so each writes its own packages' layers as planned.
#include <cstddef>
#include <optional>

#include "buildpacks/facts.hpp"
#include "layerplan/plan.hpp"
#include "lock/lockfile.hpp"

namespace mlpack::pipeline {

using util::Result;

struct LayerBudget {
  std::size_t budget = layerplan::Options{}.budget;  // the whole image's layers: --layers, mlpack.yaml `layers`
  std::size_t base_layers = 0;                       // a registry base image's own layers
  bool base_image = false;                           // building on a registry image (its accounts layer)
};

// The planner's input for one lock entry, or nullopt for entries planned elsewhere: Debian's core
// OS (one layer, the same in every image on that distribution, counted with the base) and the pip
// packages of a conda environment (the conda buildpack's `pip:` layer). Tiers: Debian's runtime 1,
// its system libraries and apt.txt 2, every other ecosystem's packages 3. The size is the
// installed size where the lock knows it (deb `installed_size`), else the download size.
std::optional<layerplan::Package> plan_input(const lock::Package& p);

// Layers the buildpacks add beside the plan for this lock: the core OS and the dpkg database, a
// registry base's accounts layer, the venv's skeleton and project layers, conda's history and
// `pip:` layers, and /app.
std::size_t layers_beside_plan(const lock::LockFile& lock, bool base_image);

// Plans the lock's packages. Errors (invalid_input) when the budget cannot hold the base's layers,
// the ones beside the plan and one layer per group, naming the numbers and the fix.
Result<buildpacks::facts::LayerPlan> plan_layers(const lock::LockFile& lock, const LayerBudget& budget);

}  // namespace mlpack::pipeline
