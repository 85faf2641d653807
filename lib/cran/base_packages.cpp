#include "cran/base_packages.hpp"

#include <algorithm>
#include <array>

namespace mlpack::cran {

namespace {

// Sorted (byte order) for binary search. R's `rownames(installed.packages(priority = "base"))`.
constexpr std::array<std::string_view, 15> base_names = {
    "R",        "base",  "compiler", "datasets", "grDevices", "graphics", "grid",  "methods",
    "parallel", "splines", "stats",  "stats4",   "tcltk",     "tools",    "utils",
};

// `priority = "recommended"`, as R 4.x ships them.
constexpr std::array<std::string_view, 15> recommended_names = {
    "KernSmooth", "MASS",    "Matrix", "boot", "class", "cluster", "codetools", "foreign",
    "lattice",    "mgcv",    "nlme",   "nnet", "rpart", "spatial", "survival",
};

static_assert(std::is_sorted(base_names.begin(), base_names.end()));
static_assert(std::is_sorted(recommended_names.begin(), recommended_names.end()));

}  // namespace

bool is_base_package(std::string_view name) {
  return std::binary_search(base_names.begin(), base_names.end(), name);
}

bool is_recommended_package(std::string_view name) {
  return std::binary_search(recommended_names.begin(), recommended_names.end(), name);
}

}  // namespace mlpack::cran
