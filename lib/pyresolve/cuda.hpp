#pragma once
// The CUDA wheels of a resolution (issue 14): NVIDIA publishes CUDA's libraries on PyPI as
// `nvidia-*-cuNN` wheels (nvidia-cublas-cu12, nvidia-cudnn-cu11…), one name per CUDA major. A lock
// holding another major than the project's CUDA decision, or any of them when the decision is
// none, is refused, naming the chain of requirements that pulled each one in.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lock/lockfile.hpp"
#include "util/error.hpp"

namespace mlpack::pyresolve {

using util::Result;

// The CUDA major of an `nvidia-*-cuNN` name (any spelling): 12 for nvidia-cublas-cu12; nullopt for
// any other name.
std::optional<int> nvidia_cuda_major(std::string_view name);

// Whether a distribution carries NVIDIA's CUDA libraries: `nvidia-*-cuNN`, and the other nvidia-*
// wheels of CUDA's libraries (nvidia-cublas 13.x has no suffix), but not the few nvidia-* projects
// that hold only Python code (nvidia-ml-py: bindings for the driver's NVML, which any image may use).
bool is_nvidia_cuda_wheel(std::string_view name);

struct CudaCheck {
  std::optional<std::string> cuda;  // the decision: "12.1"; nullopt: none (a CPU image)
  std::string reason;               // why, as the decision says: "torch==2.3.1+cu121 (requirements.txt:1)"
  // Where each requested distribution was asked for (normalised name → "torch==2.3.1
  // (requirements.txt:1)"), to start the chains with; a requested one it lacks starts with its name.
  std::map<std::string, std::string> roots;
};

// The chain of requirements from a requested package (lock extra `requested`) to `name` through
// the packages' `depends`, shortest first: {"torch==2.3.1 (requirements.txt:1)", "torch 2.3.1+cu118",
// "nvidia-cublas-cu11 11.11.3.6"}. Just the package when nothing requested reaches it.
std::vector<std::string> requirement_chain(const std::vector<lock::Package>& packages, std::string_view name,
                                           const std::map<std::string, std::string>& roots = {});

// Every pypi package of `packages` that is a CUDA wheel of another major than `check.cuda`'s (or
// any under none) is an ErrorKind::unsatisfiable error naming it, its CUDA, the decision and its
// chain.
Result<void> check_cuda_wheels(const std::vector<lock::Package>& packages, const CudaCheck& check);

}  // namespace mlpack::pyresolve
