#pragma once
// The two tables the CUDA decision rests on, kept as data (tables.cpp, with their sources):
// which CUDA a GPU framework's release uses by default on PyPI, and the oldest Linux driver that
// runs a CUDA release. Update them when a framework or NVIDIA publishes a new release.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mlpack::buildpacks::cuda {

// From release `since` (a PEP 440 release prefix, "2.5") until the next row of the same package,
// the framework's Linux x86_64 wheels on PyPI use CUDA `cuda` ("12.4").
struct FrameworkDefault {
  std::string_view package;  // PEP 503 name: "torch"
  std::string_view extra;    // the extra that brings CUDA in ("and-cuda"); empty: always
  std::string_view since;
  std::string_view cuda;
};
// Rows of one package are in ascending `since` order.
std::span<const FrameworkDefault> framework_defaults();

// The oldest Linux x86_64 driver that runs CUDA `major.minor` (`minor` < 0: every minor of the
// major, through minor version compatibility).
struct DriverFloor {
  int major;
  int minor;
  std::string_view driver;  // "525.60.13"
};
std::span<const DriverFloor> driver_floors();

// The floor for CUDA "X.Y" (or "X"), when the table has it.
std::optional<std::string> driver_floor(std::string_view cuda);

// The shared libraries NVIDIA redistributes with CUDA and its math and deep-learning libraries, as
// the names of their files before ".so" ("libcudart", "libcublasLt"), with `family` set when every
// name that starts with `stem` followed by "_" is one of them too (cuDNN 8 and 9 split
// libcudnn into libcudnn_ops_infer, libcudnn_graph, ...). The same library reaches an image
// as a pip nvidia-* wheel, a conda package and a Debian package; two copies are wasted space.
// The driver's own libraries (libcuda, libnvidia-*) are not here: the container toolkit mounts them.
struct CudaLibrary {
  std::string_view stem;
  bool family = false;
};
std::span<const CudaLibrary> cuda_libraries();

// Whether a file named `filename` ("libcudart.so.12.1.105", "libcudnn_graph.so.9") is one of
// cuda_libraries(): `stem` then ".so", then nothing or "." and more.
bool is_cuda_library_file(std::string_view filename);

}  // namespace mlpack::buildpacks::cuda
