#pragma once
// The cuda buildpack's logic, without I/O: the setting (`--cuda`, mlpack.yaml `cuda`), the one
// decision made from it and the project's hints (facts::cuda_hints), what the image says about
// it (Env and labels), and whether an image's need fits a driver (`mlpack check-gpu`).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "buildpacks/facts.hpp"
#include "util/error.hpp"

namespace mlpack::buildpacks::cuda {

using util::Result;

// The setting as asked: `value` is "auto", "none" or "X.Y"; `where` says who asked, for the
// reason ("--cuda" or "mlpack.yaml:3"; empty: nobody, the default `auto`).
struct Setting {
  std::string value = "auto";
  std::string where;
};

// "auto", "none" or "X.Y" (digits) whose major mlpack knows a driver floor for; anything else is
// invalid_input "expected auto, none or X.Y…" (the caller adds where it was written).
Result<std::string> parse_setting(std::string_view text);

// The decision (PRODUCT.md: from the project, never the build machine):
// - "none" / "X.Y": as set, whatever the project's files imply;
// - "auto": the explicit variants among `hints` (a major alone is refined by an implied X.Y of the
//   same major, else X.0); else the newest CUDA the project's frameworks use by default on PyPI;
//   else none. Two explicit variants that disagree (another major, another X.Y, CUDA and a CPU
//   build) are invalid_input naming both places.
Result<facts::CudaDecision> decide(const Setting& setting, const std::vector<facts::CudaHint>& hints);

// "12.1" → "121" (PyTorch's backend suffix without `cu`).
std::string compact(std::string_view cuda);

// The image's labels: the CUDA version and the minimum Linux driver.
inline constexpr std::string_view label_version = "org.mlpack.cuda.version";
inline constexpr std::string_view label_driver = "org.mlpack.cuda.driver-min";

// What configure() adds for CUDA `version` ("12.1"): NVIDIA_REQUIRE_CUDA, NVIDIA_VISIBLE_DEVICES,
// NVIDIA_DRIVER_CAPABILITIES (the container toolkit reads them) and the two labels. Unknown floor:
// invalid_input.
struct ImageNeeds {
  std::vector<std::pair<std::string, std::string>> env;
  std::map<std::string, std::string> labels;
};
Result<ImageNeeds> image_needs(std::string_view version);

// Driver versions compare numerically per dotted component ("525.60.13" < "525.105.17"; a
// missing component is 0). Invalid text: invalid_input.
Result<int> compare_drivers(std::string_view a, std::string_view b);

// What `mlpack check-gpu` says of an image on a driver.
struct GpuCheck {
  std::optional<std::string> cuda;        // the image's CUDA; none: a CPU image (runs anywhere)
  std::optional<std::string> driver_min;  // its floor
  std::optional<std::string> driver;      // the driver checked against; none: only the floor known
  std::string driver_source;              // "--driver", "nvidia-smi" or "" (none given or found)
  bool runs = true;
  std::string reason;
};

// From an image config's labels (and Env, for images with NVIDIA_REQUIRE_CUDA but no mlpack
// label: the floor then comes from the table) and a driver, when one is known. An image whose
// labels name a CUDA with no floor known and no label is invalid_input.
Result<GpuCheck> check_gpu(const std::map<std::string, std::string>& labels, const std::vector<std::string>& env,
                           const std::optional<std::string>& driver, std::string_view driver_source);

}  // namespace mlpack::buildpacks::cuda
