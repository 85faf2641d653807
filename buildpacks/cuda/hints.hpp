#pragma once
// What each ecosystem's files say about CUDA, as facts::CudaHint: the ecosystems' detect() call
// these on what they read and append the hints to facts::cuda_hints (add_hints); the cuda
// buildpack decides from them. Pure functions over text: no files, no network.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "buildpacks/facts.hpp"
#include "detectors/pyproject.hpp"
#include "detectors/requirements.hpp"

namespace mlpack::buildpacks::cuda {

// A PyPI requirement: its normalised or written name ("torch", "nvidia-cublas-cu12"), its extras
// ("and-cuda", "cuda12"), its specifier as written ("==2.3.1+cu121", ">=2.1,<2.4", "" for any),
// and where it was written ("requirements.txt:3"). Gives:
// - a `+cuXYZ` local version: explicit X.Y (`+cpu`: an explicit CPU build, version "none");
// - `nvidia-*-cuNN`: explicit major NN, and for a pinned nvidia-cuda-* / nvidia-nvjitlink wheel
//   (whose version is CUDA's) the implied X.Y;
// - jax[cudaNN] / jax[cudaNN_pip] / jax[cudaNN_local]: explicit major NN;
// - a GPU framework on PyPI (torch, tensorflow[and-cuda], cupy-cudaNNx, jax[cuda]…): the CUDA its
//   release ships by default there (frameworks.json), implied. For a range, the newest release in
//   the table that the specifier allows.
std::vector<facts::CudaHint> pypi_hints(std::string_view name, const std::vector<std::string>& extras,
                                        std::string_view specifier, std::string_view where);

// A package index URL (--index-url, --extra-index-url, [[tool.uv.index]]…): a PyTorch backend
// index `…/whl/cuXYZ` is explicit X.Y, `…/whl/cpu` an explicit CPU build ("none"). Empty when the
// URL says nothing.
std::vector<facts::CudaHint> index_hints(std::string_view url, std::string_view where);

// A conda MatchSpec as written ("cuda-version=12.4", "pytorch-cuda 12.1.*", "cudatoolkit=11.8",
// "conda-forge::cuda-version>=12,<13"): `cuda-version`, `pytorch-cuda` and `cudatoolkit` with an
// exact or prefix version are explicit X.Y (a major alone: "12"); ranges and other packages say
// nothing. Never an error: a spec that does not parse is the conda buildpack's to report.
std::vector<facts::CudaHint> conda_hints(std::string_view matchspec, std::string_view where);

// The hints of a requirements file and its includes: each requirement (file:line) and each
// --index-url / --extra-index-url / --find-links (the line it is written on, found in `files`
// under `project_root`).
std::vector<facts::CudaHint> requirements_hints(const detectors::RequirementsFile& file,
                                                const std::filesystem::path& project_root);
// The hints of pyproject.toml's dependencies, and of the extras and groups selected.
std::vector<facts::CudaHint> pyproject_hints(const detectors::PyProject& project, const std::vector<std::string>& extras,
                                             const std::vector<std::string>& groups);

// Appends `hints` to facts::cuda_hints on `board` (publishing it when absent).
void add_hints(FactBoard& board, std::vector<facts::CudaHint> hints);

}  // namespace mlpack::buildpacks::cuda
