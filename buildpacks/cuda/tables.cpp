#include "buildpacks/cuda/tables.hpp"

#include <charconv>

namespace mlpack::buildpacks::cuda {

namespace {

// The CUDA a framework's default wheels on PyPI are built for (Linux x86_64).
// Sources, read 2026-12:
// - torch: PyTorch's RELEASE.md "Release Compatibility Matrix" (the "CUDA stable" column: the build
//   published on PyPI), pytorch.org/get-started/previous-versions, and the nvidia-*-cuNN pins in
//   the PyPI wheels' Requires-Dist (1.13 was the first with nvidia-*-cu11 wheels; before it the PyPI
//   wheel bundled CUDA 10.2). The same facts as replicate/cog's torch_compatibility.json.
// - tensorflow[and-cuda]: tensorflow.org/install/source#gpu "Tested build configurations" (the
//   `and-cuda` extra exists from 2.14; plain `tensorflow` brings no CUDA libraries).
// jax[cudaNN], cupy-cudaNNx and nvidia-*-cuNN name their variant themselves (hints.cpp).
constexpr FrameworkDefault kFrameworks[] = {
    {"torch", "", "1.8", "10.2"},
    {"torch", "", "1.13", "11.7"},
    {"torch", "", "2.0", "11.7"},
    {"torch", "", "2.1", "12.1"},
    {"torch", "", "2.2", "12.1"},
    {"torch", "", "2.3", "12.1"},
    {"torch", "", "2.4", "12.1"},
    {"torch", "", "2.5", "12.4"},
    {"torch", "", "2.6", "12.4"},
    {"torch", "", "2.7", "12.6"},
    {"torch", "", "2.8", "12.8"},
    {"torch", "", "2.9", "12.8"},
    {"tensorflow", "and-cuda", "2.14", "11.8"},
    {"tensorflow", "and-cuda", "2.15", "12.2"},
    {"tensorflow", "and-cuda", "2.16", "12.3"},
    {"tensorflow", "and-cuda", "2.17", "12.3"},
    {"tensorflow", "and-cuda", "2.18", "12.5"},
    {"tensorflow", "and-cuda", "2.19", "12.5"},
};

// Minimum Linux x86_64 driver per CUDA release. Source: NVIDIA's CUDA Toolkit release notes,
// "CUDA Toolkit and Minimum Required Driver Version for CUDA Minor Version Compatibility", and
// docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html (13.x >= 580,
// 12.x >= 525.60.13, 11.x >= 450.80.02; before 11 each minor release needs its own driver:
// 10.2 >= 440.33, 10.1 >= 418.39, 10.0 >= 410.48). The driver a container gets is the host's: the
// NVIDIA container toolkit mounts it, and no driver library goes into an image.
constexpr DriverFloor kDrivers[] = {
    {13, -1, "580"},
    {12, -1, "525.60.13"},
    {11, -1, "450.80.02"},
    {10, 2, "440.33"},
    {10, 1, "418.39"},
    {10, 0, "410.48"},
};

// NVIDIA's redistributable CUDA libraries. Sources, read 2026-12: the CUDA Toolkit EULA,
// "Attachment A: CUDA Toolkit Redistributable Software" (docs.nvidia.com/cuda/eula, the Linux
// .so names of the runtime, cuBLAS, cuFFT, cuRAND, cuSOLVER, cuSPARSE, NPP, nvJPEG, NVRTC,
// nvJitLink, NVVM, CUPTI, NVTX, cuFile), the cuDNN and NCCL and cuSPARSELt and cuTENSOR
// "Software License Agreement" supplements, and the lib/ folders of the PyPI wheels
// nvidia-*-cu11/-cu12 (nvidia/<part>/lib/*.so*), which carry the same file names as the
// Debian (libcudart12, libcublas12, libcudnn9-cuda-12, libnccl2) and conda-forge (cuda-cudart,
// libcublas, cudnn, nccl) packages.
constexpr CudaLibrary kLibraries[] = {
    {"libcublas"},      {"libcublasLt"},   {"libcudart"},        {"libcudnn", true}, {"libcufft"},
    {"libcufftw"},      {"libcufile"},     {"libcufile_rdma"},   {"libcupti"},       {"libcurand"},
    {"libcusolver"},    {"libcusolverMg"}, {"libcusparse"},      {"libcusparseLt"},  {"libcutensor"},
    {"libcutensorMg"},  {"libnccl"},       {"libnppc"},          {"libnppial"},      {"libnppicc"},
    {"libnppidei"},     {"libnppif"},      {"libnppig"},         {"libnppim"},       {"libnppist"},
    {"libnppisu"},      {"libnppitc"},     {"libnpps"},          {"libnvJitLink"},   {"libnvToolsExt"},
    {"libnvblas"},      {"libnvjpeg"},     {"libnvperf_host"},   {"libnvperf_target"}, {"libnvrtc"},
    {"libnvrtc-builtins"}, {"libnvvm"},    {"libpcsamplingutil"},
};

std::optional<int> number(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::span<const FrameworkDefault> framework_defaults() { return kFrameworks; }
std::span<const DriverFloor> driver_floors() { return kDrivers; }
std::span<const CudaLibrary> cuda_libraries() { return kLibraries; }

bool is_cuda_library_file(std::string_view filename) {
  auto so = filename.find(".so");
  if (so == std::string_view::npos || so == 0) return false;
  auto rest = filename.substr(so + 3);
  if (!rest.empty() && rest.front() != '.') return false;
  auto stem = filename.substr(0, so);
  for (const auto& lib : kLibraries) {
    if (stem == lib.stem) return true;
    if (lib.family && stem.size() > lib.stem.size() + 1 && stem.starts_with(lib.stem) && stem[lib.stem.size()] == '_')
      return true;
  }
  return false;
}

std::optional<std::string> driver_floor(std::string_view cuda) {
  auto dot = cuda.find('.');
  auto major = number(cuda.substr(0, dot));
  std::optional<int> minor;
  if (dot != std::string_view::npos) {
    minor = number(cuda.substr(dot + 1));
    if (!minor) return std::nullopt;
  }
  if (!major) return std::nullopt;
  for (const auto& row : kDrivers)
    if (row.major == *major && (row.minor < 0 || (minor && row.minor == *minor))) return std::string(row.driver);
  return std::nullopt;
}

}  // namespace mlpack::buildpacks::cuda
