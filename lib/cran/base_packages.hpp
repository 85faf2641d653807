#pragma once
// The packages that come with R. Base packages are part of R itself (Debian's `r-base-core`
// ships them); recommended packages come with R's sources but Debian ships them apart, in
// `r-recommended` / `r-cran-*`, so only the base ones are never requirements.
#include <string_view>

namespace mlpack::cran {

// `R` and the base packages: base, compiler, datasets, graphics, grDevices, grid, methods,
// parallel, splines, stats, stats4, tcltk, tools, utils.
bool is_base_package(std::string_view name);

// KernSmooth, MASS, Matrix, boot, class, cluster, codetools, foreign, lattice, mgcv, nlme, nnet,
// rpart, spatial, survival.
bool is_recommended_package(std::string_view name);

}  // namespace mlpack::cran
