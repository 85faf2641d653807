// CUDA wheels in a resolution (issue 14): the nvidia-*-cuNN major check with the chain that pulled
// each one in, and local versions (+cu121) in pins and in the lock.
#include <doctest/doctest.h>

#include <fstream>

#include "pyresolve/cuda.hpp"
#include "pyresolve/resolve.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/url.hpp"

using namespace mlpack;

namespace {

lock::Package pkg(std::string name, std::string version, std::vector<std::string> depends = {}, bool requested = false) {
  lock::Package p;
  p.ecosystem = "pypi";
  p.name = std::move(name);
  p.version = std::move(version);
  p.depends = std::move(depends);
  if (requested) p.extra["requested"] = "true";
  return p;
}

// A PEP 503 index on disk (file://): each project's page lists wheels with their sha256 and a
// PEP 658 .metadata file, so nothing but the pages and metadata is read.
struct DiskIndex {
  util::TempDir tmp = *util::TempDir::create();
  std::map<std::string, std::string> pages;

  void wheel(const std::string& project, const std::string& filename, const std::string& metadata) {
    auto dir = tmp.path() / "files";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / filename) << "not really a wheel";
    std::ofstream(dir / (filename + ".metadata")) << metadata;
    std::string href = "../../files/" + filename + "#sha256=" + util::Digest::sha256_of("not really a wheel").hex();
    pages[project] += "<a href=\"" + href + "\" data-core-metadata=\"true\">" + filename + "</a>\n";
  }
  std::string url() {
    for (const auto& [project, body] : pages) {
      std::filesystem::create_directories(tmp.path() / "simple" / project);
      std::ofstream(tmp.path() / "simple" / project / "index.html") << "<html><body>\n" << body << "</body></html>\n";
    }
    return util::path_to_file_url(tmp.path() / "simple") + "/";
  }
};

pyresolve::Request request(const std::vector<std::string>& roots) {
  pyresolve::Request r;
  r.target.python_major = 3;
  r.target.python_minor = 12;
  r.target.arch = "x86_64";
  r.target.glibc = std::pair{2, 36};
  for (const auto& text : roots) r.roots.push_back({*pypi::Requirement::parse(text), {}, "", false, "requirements.txt:1"});
  return r;
}

std::string meta(const std::string& name, const std::string& version, const std::vector<std::string>& requires_dist = {}) {
  std::string out = "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n";
  for (const auto& r : requires_dist) out += "Requires-Dist: " + r + "\n";
  return out + "\n";
}

}  // namespace

TEST_CASE("nvidia-*-cuNN names their CUDA major; nvidia-ml-py carries no CUDA library") {
  CHECK(pyresolve::nvidia_cuda_major("nvidia-cublas-cu12") == 12);
  CHECK(pyresolve::nvidia_cuda_major("nvidia_cudnn_cu11") == 11);
  CHECK(pyresolve::nvidia_cuda_major("NVIDIA-NCCL-CU12") == 12);
  CHECK(!pyresolve::nvidia_cuda_major("nvidia-cublas"));
  CHECK(!pyresolve::nvidia_cuda_major("nvidia-ml-py"));
  CHECK(!pyresolve::nvidia_cuda_major("cupy-cuda12x"));
  CHECK(pyresolve::is_nvidia_cuda_wheel("nvidia-cublas-cu12"));
  CHECK(pyresolve::is_nvidia_cuda_wheel("nvidia-cublas"));
  CHECK(!pyresolve::is_nvidia_cuda_wheel("nvidia-ml-py"));
  CHECK(!pyresolve::is_nvidia_cuda_wheel("torch"));
}

TEST_CASE("a CUDA wheel of another major is refused, naming the chain from what the project asked for") {
  std::vector<lock::Package> lock = {
      pkg("torch", "2.3.1+cu121", {"nvidia-cublas-cu12==12.1.3.1; platform_system == \"Linux\"", "filelock"}, true),
      pkg("nvidia-cublas-cu12", "12.1.3.1"),
      pkg("filelock", "3.13.1"),
      pkg("speech", "1.0", {"audio-kit>=2"}, true),
      pkg("audio-kit", "2.0", {"nvidia-cufft-cu11"}),
      pkg("nvidia-cufft-cu11", "10.9.0.58"),
  };
  pyresolve::CudaCheck check{"12.1", "torch==2.3.1+cu121 (requirements.txt:1)",
                             {{"speech", "speech==1.0 (requirements.txt:2)"}}};
  auto r = pyresolve::check_cuda_wheels(lock, check);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::unsatisfiable);
  const auto& m = r.error().message;
  CHECK(m.find("the project's CUDA is 12.1 (torch==2.3.1+cu121 (requirements.txt:1))") != std::string::npos);
  CHECK(m.find("nvidia-cufft-cu11 10.9.0.58 (CUDA 11), pulled in by speech==1.0 (requirements.txt:2) → speech 1.0 → "
               "audio-kit 2.0 → nvidia-cufft-cu11 10.9.0.58") != std::string::npos);
  CHECK(m.find("nvidia-cublas-cu12") == std::string::npos);  // the right major is fine
  CHECK(m.find("require builds for CUDA 12") != std::string::npos);

  // The same lock under CUDA 11: now cu12 is the odd one out (reached through torch, requested
  // but with no origin: its name starts the chain).
  auto r11 = pyresolve::check_cuda_wheels(lock, {"11.8", "--cuda 11.8", {}});
  REQUIRE(!r11);
  CHECK(r11.error().message.find("nvidia-cublas-cu12 12.1.3.1 (CUDA 12), pulled in by torch 2.3.1+cu121 → "
                                 "nvidia-cublas-cu12 12.1.3.1") != std::string::npos);
  CHECK(r11.error().message.find("cufft") == std::string::npos);

  // Only matching wheels: fine.
  lock.erase(lock.begin() + 3, lock.end());
  CHECK(pyresolve::check_cuda_wheels(lock, check));
}

TEST_CASE("under none any nvidia CUDA wheel is refused; nvidia-ml-py is not one") {
  std::vector<lock::Package> lock = {pkg("gpustat", "1.1", {"nvidia-ml-py>=12"}, true), pkg("nvidia-ml-py", "12.535.133")};
  CHECK(pyresolve::check_cuda_wheels(lock, {std::nullopt, "--cuda none on the command line", {}}));
  lock.push_back(pkg("nvidia-cublas-cu12", "12.1.3.1", {}, true));
  auto r = pyresolve::check_cuda_wheels(lock, {std::nullopt, "--cuda none on the command line", {}});
  REQUIRE(!r);
  CHECK(r.error().message.find("the project's CUDA is none (--cuda none on the command line): nvidia-cublas-cu12 "
                               "12.1.3.1 (CUDA 12), pulled in by nvidia-cublas-cu12 12.1.3.1") != std::string::npos);
  CHECK(r.error().message.find("remove what pulls them in") != std::string::npos);
}

TEST_CASE("local versions: a plain pin takes the newest local build, a local pin exactly that one; the lock keeps it") {
  DiskIndex index;
  index.wheel("torch", "torch-2.3.1+cu118-cp312-cp312-linux_x86_64.whl", meta("torch", "2.3.1+cu118"));
  index.wheel("torch", "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl", meta("torch", "2.3.1+cu121"));
  index.wheel("torch", "torch-2.2.0+cu121-cp312-cp312-linux_x86_64.whl", meta("torch", "2.2.0+cu121"));
  pyindex::IndexOptions options;
  options.index_urls = {index.url()};
  options.cache_dir = index.tmp.path() / "cache";
  auto version_of = [&](const std::string& root) -> std::string {
    pyindex::IndexClient client(nullptr, options);
    auto resolved = pyresolve::resolve(request({root}), client);
    REQUIRE_MESSAGE(resolved, resolved.error().message);
    REQUIRE(resolved->packages.size() == 1);
    auto l = pyresolve::lock_package(resolved->packages[0]);
    CHECK(l.version == resolved->packages[0].version);
    CHECK(l.extra.at("wheel") == "torch-" + l.version + "-cp312-cp312-linux_x86_64.whl");
    return l.version;
  };
  CHECK(version_of("torch==2.3.1") == "2.3.1+cu121");
  CHECK(version_of("torch==2.3.1+cu118") == "2.3.1+cu118");
  CHECK(version_of("torch==2.3.1+CU118") == "2.3.1+cu118");
  CHECK(version_of("torch<2.3") == "2.2.0+cu121");
  pyindex::IndexClient client(nullptr, options);
  auto missing = pyresolve::resolve(request({"torch==2.3.1+cu124"}), client);
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::unsatisfiable);
}
