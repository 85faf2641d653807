#pragma once
// pip follows the project's CUDA decision (issue 14, docs/cuda.md "pip"): the torch family comes
// from PyTorch's backend index for the decision, and the resolved wheels' nvidia-*-cuNN libraries
// must be the decision's major. Declared apart from python.hpp; defined in resolve.cpp.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "buildpacks/facts.hpp"
#include "buildpacks/python/python.hpp"
#include "pyindex/index.hpp"

namespace mlpack::buildpacks::python {

inline constexpr std::string_view default_pytorch_index = "https://download.pytorch.org/whl";

// The projects PyTorch builds per backend and publishes on its backend indexes (normalised names):
// torch, torchvision, torchaudio, triton, pytorch-triton…
bool torch_family(std::string_view name);

// PyTorch's CUDA backends, newest first: "cu130", "cu129", … "cu92".
std::span<const std::string_view> pytorch_cuda_backends();

// The backends for a decision, in order of preference: {"cpu"} for none; else PyTorch's backends
// of the decision's major that are not above it, newest first (empty when PyTorch has none).
std::vector<std::string> pytorch_backends_for(const std::optional<std::string>& cuda);

struct Variant {
  std::optional<facts::CudaDecision> cuda;  // nullopt: no decision made (no route, no check)
  std::string pytorch_index = std::string(default_pytorch_index);  // --pytorch-index, MLPACK_PYTORCH_INDEX
};

// Where the torch family comes from: the PyTorch backend indexes the project names itself
// (`--index-url …/whl/cu118`; the decision already follows them), else `<pytorch_index>/<backend>`
// for each of pytorch_backends_for(the decision). Nullopt without a decision, with --no-index, or
// when the project names a PyTorch backend only as find-links (then its own options decide).
std::optional<pyindex::IndexRoute> torch_route(const Inputs& inputs, const Variant& variant);

// resolve() following the decision: the torch family from torch_route (each version from the first
// backend with a wheel of it for the target), then every wheel, resolved or taken from a lockfile,
// checked by pyresolve::check_cuda_wheels against the decision, naming the requirement chain.
Result<std::vector<lock::Package>> resolve(const Inputs& inputs, const Selection& selection, const Target& target,
                                           const Variant& variant, const fs::path& cache_dir,
                                           std::shared_ptr<net::HttpClient> http = nullptr,
                                           util::TransferObserver* transfers = nullptr);

}  // namespace mlpack::buildpacks::python
