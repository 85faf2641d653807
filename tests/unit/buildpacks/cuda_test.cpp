// The CUDA decision (issue 14): hints from each ecosystem's files, the decision over them (an
// explicit variant, else a framework's PyPI default, else none; the setting wins; contradictions
// name both places), what the image says, and whether an image fits a driver.
#include <doctest/doctest.h>

#include "buildpacks/cuda/cuda.hpp"
#include "buildpacks/cuda/hints.hpp"
#include "buildpacks/cuda/tables.hpp"
#include "buildpacks/registry.hpp"
#include "detectors/requirements.hpp"
#include "test_files.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace bp = mlpack::buildpacks;
namespace cuda = mlpack::buildpacks::cuda;
namespace fs = std::filesystem;
using bp::facts::CudaHint;

namespace {

std::vector<CudaHint> hint(std::string_view name, std::string_view spec, std::vector<std::string> extras = {}) {
  return cuda::pypi_hints(name, extras, spec, "requirements.txt:1");
}

util::Result<bp::facts::CudaDecision> auto_from(const std::vector<CudaHint>& hints) {
  return cuda::decide({"auto", ""}, hints);
}

std::vector<CudaHint> cat(std::vector<std::vector<CudaHint>> lists) {
  std::vector<CudaHint> out;
  for (auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  return out;
}

}  // namespace

TEST_CASE("PyPI hints: local versions, nvidia-*-cuNN, cupy, jax extras, framework defaults") {
  auto local = hint("torch", "==2.3.1+cu121");
  REQUIRE(local.size() == 1);
  CHECK(local[0].version == "12.1");
  CHECK(local[0].explicit_variant);
  CHECK(local[0].package == "torch==2.3.1+cu121");
  CHECK(local[0].where == "requirements.txt:1");
  CHECK(hint("torchvision", "==0.18.1+cu118")[0].version == "11.8");
  CHECK(hint("torch", "==2.3.1+cpu")[0].version == "none");
  CHECK(hint("jaxlib", "==0.4.23+cuda12.cudnn89")[0].version == "12");

  auto cublas = hint("nvidia-cublas-cu12", "");
  REQUIRE(cublas.size() == 1);
  CHECK(cublas[0].version == "12");
  CHECK(cublas[0].explicit_variant);
  // A pinned nvidia-cuda-* wheel is versioned as CUDA: its X.Y is implied.
  auto runtime = hint("nvidia_cuda_runtime_cu12", "==12.4.127");
  REQUIRE(runtime.size() == 2);
  CHECK(runtime[1].version == "12.4");
  CHECK_FALSE(runtime[1].explicit_variant);
  // cuBLAS's own version is not CUDA's.
  CHECK(hint("nvidia-cublas-cu11", "==11.11.3.6").size() == 1);

  CHECK(hint("cupy-cuda12x", "")[0].version == "12");
  CHECK(hint("cupy-cuda117", "")[0].version == "11.7");
  CHECK(hint("jax", ">=0.4", {"cuda12"})[0].version == "12");
  CHECK(hint("jax", "", {"cuda11_pip"})[0].version == "11");
  CHECK(hint("jax", "").empty());

  auto torch = hint("torch", "==2.3.1");
  REQUIRE(torch.size() == 1);
  CHECK(torch[0].version == "12.1");
  CHECK_FALSE(torch[0].explicit_variant);
  CHECK(hint("torch", "==2.5.1")[0].version == "12.4");
  CHECK(hint("torch", "==2.0.1")[0].version == "11.7");
  CHECK(hint("torch", ">=2.1,<2.4")[0].version == "12.1");  // the newest release the range allows
  CHECK(hint("torch", "~=2.4.0")[0].version == "12.1");
  CHECK(hint("torch", "==1.4.0").empty());                 // older than the table
  CHECK(hint("tensorflow", "==2.16.1").empty());           // no CUDA without the extra
  CHECK(hint("tensorflow", "==2.16.1", {"and-cuda"})[0].version == "12.3");
  CHECK(hint("tensorflow", "==2.14.0", {"and_cuda"})[0].version == "11.8");
  CHECK(hint("numpy", "==1.26.4").empty());
}

TEST_CASE("index hints: PyTorch backend indexes name a variant; others say nothing") {
  auto cu118 = cuda::index_hints("https://download.pytorch.org/whl/cu118", "requirements.txt:2");
  REQUIRE(cu118.size() == 1);
  CHECK(cu118[0].version == "11.8");
  CHECK(cu118[0].explicit_variant);
  CHECK(cu118[0].package == "the PyTorch index https://download.pytorch.org/whl/cu118");
  CHECK(cuda::index_hints("https://mirror.example/pytorch/whl/nightly/cu130/", "r:1")[0].version == "13.0");
  CHECK(cuda::index_hints("https://download.pytorch.org/whl/cpu", "r:1")[0].version == "none");
  CHECK(cuda::index_hints("https://download.pytorch.org/whl/rocm6.1", "r:1").empty());
  CHECK(cuda::index_hints("https://pypi.org/simple", "r:1").empty());
  CHECK(cuda::index_hints("https://example.com/cu118/simple", "r:1").empty());
}

TEST_CASE("conda hints: cuda-version, pytorch-cuda and cudatoolkit with a version") {
  auto cv = cuda::conda_hints("cuda-version=12.4", "environment.yml:5");
  REQUIRE(cv.size() == 1);
  CHECK(cv[0].version == "12.4");
  CHECK(cv[0].explicit_variant);
  CHECK(cv[0].where == "environment.yml:5");
  CHECK(cuda::conda_hints("pytorch-cuda=12.1", "e:1")[0].version == "12.1");
  CHECK(cuda::conda_hints("nvidia::pytorch-cuda 11.8.*", "e:1")[0].version == "11.8");
  CHECK(cuda::conda_hints("cudatoolkit==11.8.0", "e:1")[0].version == "11.8");
  CHECK(cuda::conda_hints("cuda-version 12", "e:1")[0].version == "12");
  CHECK(cuda::conda_hints("cuda-version>=12,<13", "e:1").empty());
  CHECK(cuda::conda_hints("pytorch=2.3", "e:1").empty());
  CHECK(cuda::conda_hints("not a [valid spec", "e:1").empty());
}

TEST_CASE("the decision: explicit variants, then framework defaults, then none") {
  SUBCASE("nothing") {
    auto d = auto_from({});
    REQUIRE(d);
    CHECK(d->setting == "auto");
    CHECK_FALSE(d->version);
    CHECK(d->reason == "no GPU framework or CUDA variant in the project");
  }
  SUBCASE("a local version") {
    auto d = auto_from(hint("torch", "==2.3.1+cu121"));
    REQUIRE(d);
    CHECK(d->version == "12.1");
    CHECK(d->reason == "torch==2.3.1+cu121 (requirements.txt:1)");
  }
  SUBCASE("an explicit variant beats the framework's default") {
    auto d = auto_from(cat({hint("torch", "==2.3.1"),
                            cuda::index_hints("https://download.pytorch.org/whl/cu118", "requirements.txt:2")}));
    REQUIRE(d);
    CHECK(d->version == "11.8");
    CHECK(d->reason.find("requirements.txt:2") != std::string::npos);
  }
  SUBCASE("the CPU index makes a torch project CPU-only") {
    auto d = auto_from(cat({hint("torch", "==2.3.1"),
                            cuda::index_hints("https://download.pytorch.org/whl/cpu", "requirements.txt:1")}));
    REQUIRE(d);
    CHECK_FALSE(d->version);
    CHECK(d->reason.find("a CPU build") != std::string::npos);
  }
  SUBCASE("a framework default alone") {
    auto d = auto_from(hint("torch", "==2.3.1"));
    REQUIRE(d);
    CHECK(d->version == "12.1");
    CHECK(d->reason == "torch==2.3.1 (requirements.txt:1): CUDA 12.1 by default on PyPI");
  }
  SUBCASE("the newest of several defaults") {
    auto d = auto_from(cat({hint("torch", "==2.3.1"), hint("tensorflow", "==2.18.0", {"and-cuda"})}));
    REQUIRE(d);
    CHECK(d->version == "12.5");
  }
  SUBCASE("a major alone is refined by an implied X.Y of that major, else X.0") {
    auto refined = auto_from(cat({hint("nvidia-cublas-cu12", ""), hint("torch", "==2.5.1")}));
    REQUIRE(refined);
    CHECK(refined->version == "12.4");
    auto other_major = auto_from(cat({hint("nvidia-cublas-cu12", ""), hint("torch", "==2.0.1")}));
    REQUIRE(other_major);
    CHECK(other_major->version == "12.0");
    auto alone = auto_from(hint("cupy-cuda11x", ""));
    REQUIRE(alone);
    CHECK(alone->version == "11.0");
  }
  SUBCASE("agreeing variants") {
    auto d = auto_from(cat({hint("torch", "==2.3.1+cu121"), hint("nvidia-cublas-cu12", "==12.1.3.1"),
                            cuda::conda_hints("pytorch-cuda=12.1", "environment.yml:4")}));
    REQUIRE(d);
    CHECK(d->version == "12.1");
  }
}

TEST_CASE("the decision: contradicting explicit variants name both places") {
  auto index = cuda::index_hints("https://download.pytorch.org/whl/cu118", "requirements.txt:1");
  auto torch = cuda::pypi_hints("torch", {}, "==2.3.1+cu121", "requirements.txt:2");
  auto d = auto_from(cat({index, torch}));
  REQUIRE_FALSE(d);
  CHECK(d.error().kind == util::ErrorKind::invalid_input);
  CHECK(d.error().message.find("CUDA 11.8 by the PyTorch index https://download.pytorch.org/whl/cu118 "
                               "(requirements.txt:1)") != std::string::npos);
  CHECK(d.error().message.find("CUDA 12.1 by torch==2.3.1+cu121 (requirements.txt:2)") != std::string::npos);

  auto majors = auto_from(cat({hint("nvidia-cublas-cu11", ""), cuda::conda_hints("cuda-version=12.4", "environment.yml:3")}));
  REQUIRE_FALSE(majors);
  CHECK(majors.error().message.find("environment.yml:3") != std::string::npos);
  auto cpu = auto_from(cat({hint("torch", "==2.3.1+cpu"), hint("nvidia-cudnn-cu12", "")}));
  REQUIRE_FALSE(cpu);
  CHECK(cpu.error().message.find("a CPU build by torch==2.3.1+cpu") != std::string::npos);
  auto minors = auto_from(cat({hint("torch", "==2.3.1+cu121"), cuda::conda_hints("cuda-version=12.4", "e:1")}));
  CHECK_FALSE(minors);

  // A setting settles it.
  auto set = cuda::decide({"11.8", "mlpack.yaml:1"}, cat({index, torch}));
  REQUIRE(set);
  CHECK(set->version == "11.8");
  CHECK(set->reason == "`cuda: \"11.8\"` (mlpack.yaml:1)");
  auto none = cuda::decide({"none", "--cuda"}, cat({index, torch}));
  REQUIRE(none);
  CHECK_FALSE(none->version);
  CHECK(none->reason == "--cuda none on the command line");
}

TEST_CASE("settings: auto, none or X.Y with a known driver floor") {
  CHECK(cuda::parse_setting("auto") == "auto");
  CHECK(cuda::parse_setting("none") == "none");
  CHECK(cuda::parse_setting("12.1") == "12.1");
  CHECK(cuda::parse_setting("13.0") == "13.0");
  CHECK_FALSE(cuda::parse_setting("12"));
  CHECK_FALSE(cuda::parse_setting("cu121"));
  CHECK_FALSE(cuda::parse_setting("12.1.1"));
  CHECK_FALSE(cuda::parse_setting("9.2"));  // no floor in the table
  CHECK(cuda::parse_setting("yes").error().message.find("expected auto, none or X.Y") != std::string::npos);
}

TEST_CASE("the driver table and comparisons") {
  CHECK(cuda::driver_floor("11.8") == "450.80.02");
  CHECK(cuda::driver_floor("12.1") == "525.60.13");
  CHECK(cuda::driver_floor("13.0") == "580");
  CHECK(cuda::driver_floor("10.2") == "440.33");
  CHECK_FALSE(cuda::driver_floor("10.3"));
  CHECK_FALSE(cuda::driver_floor("14.0"));
  CHECK(*cuda::compare_drivers("525.60.13", "525.60.13") == 0);
  CHECK(*cuda::compare_drivers("525.105.17", "525.60.13") == 1);  // numerically, not as text
  CHECK(*cuda::compare_drivers("470.57.02", "525.60.13") == -1);
  CHECK(*cuda::compare_drivers("580", "580.65.06") == -1);
  CHECK(*cuda::compare_drivers("580.0.0", "580") == 0);
  CHECK_FALSE(cuda::compare_drivers("5x5", "525"));
  CHECK_FALSE(cuda::compare_drivers("525..1", "525"));
}

TEST_CASE("the image's needs and check-gpu") {
  auto needs = cuda::image_needs("12.1");
  REQUIRE(needs);
  CHECK(needs->env == std::vector<std::pair<std::string, std::string>>{{"NVIDIA_REQUIRE_CUDA", "cuda>=12.1"},
                                                                       {"NVIDIA_VISIBLE_DEVICES", "all"},
                                                                       {"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"}});
  CHECK(needs->labels.at("org.mlpack.cuda.version") == "12.1");
  CHECK(needs->labels.at("org.mlpack.cuda.driver-min") == "525.60.13");

  auto above = cuda::check_gpu(needs->labels, {}, "530.30.02", "--driver");
  REQUIRE(above);
  CHECK(above->runs);
  CHECK(above->cuda == "12.1");
  auto below = cuda::check_gpu(needs->labels, {}, "470.57.02", "--driver");
  REQUIRE(below);
  CHECK_FALSE(below->runs);
  CHECK(below->reason.find("older than 525.60.13") != std::string::npos);
  auto floor_only = cuda::check_gpu(needs->labels, {}, std::nullopt, "");
  REQUIRE(floor_only);
  CHECK(floor_only->runs);
  CHECK(floor_only->reason.find("no driver to check against") != std::string::npos);
  auto cpu = cuda::check_gpu({}, {"PATH=/usr/bin"}, "470.57.02", "--driver");
  REQUIRE(cpu);
  CHECK(cpu->runs);
  CHECK_FALSE(cpu->cuda);
  // An nvidia/cuda image: NVIDIA_REQUIRE_CUDA alone, the floor from the table.
  auto nvidia = cuda::check_gpu({}, {"NVIDIA_REQUIRE_CUDA=cuda>=11.8 brand=tesla,driver>=470"}, "450.80.02", "nvidia-smi");
  REQUIRE(nvidia);
  CHECK(nvidia->runs);
  CHECK(nvidia->driver_min == "450.80.02");
  CHECK_FALSE(cuda::check_gpu(needs->labels, {}, "banana", "--driver"));
}

TEST_CASE("the cuda buildpack: --cuda wins over mlpack.yaml, which wins over the project; detect, lock and config") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  const fs::path dir = tmp->path();
  std::shared_ptr<bp::Buildpack> python, cuda_bp;
  auto fresh = [&] {
    for (auto& b : bp::default_buildpacks()) {
      if (b->name() == "python") python = b;
      if (b->name() == "cuda") cuda_bp = b;
    }
  };
  auto detect = [&](bp::FlagValues flags = {}) -> util::Result<bp::Project> {
    fresh();
    bp::Project p;
    p.dir = dir;
    auto keys = python->config_keys();
    for (auto& k : cuda_bp->config_keys()) keys.push_back(k);
    auto config = detectors::read_project_config(dir, keys);
    if (!config) return std::unexpected(config.error());
    p.config = std::move(*config);
    for (auto* b : {python.get(), cuda_bp.get()}) {
      auto a = b->accept(flags, {});
      if (!a) return std::unexpected(a.error());
      auto d = b->detect(p);
      if (!d) return std::unexpected(d.error());
    }
    return p;
  };
  mlpack::test::write_text(dir / "requirements.txt",
                           "--extra-index-url https://download.pytorch.org/whl/cu118\nnumpy==1.26.4\ntorch==2.3.1\n");

  auto p = detect();
  REQUIRE_MESSAGE(p, p.error().message);
  const auto* decision = p->facts.find(bp::facts::cuda);
  REQUIRE(decision);
  CHECK(decision->version == "11.8");
  CHECK(decision->reason == "the PyTorch index https://download.pytorch.org/whl/cu118 (requirements.txt:1)");
  auto section = cuda_bp->describe(*p);
  CHECK(section.json["cuda"]["setting"] == "auto");
  CHECK(section.json["cuda"]["version"] == "11.8");

  mlpack::test::write_text(dir / "mlpack.yaml", "name: demo\ncuda: \"12.1\"\n");
  p = detect();
  REQUIRE(p);
  CHECK(p->facts.find(bp::facts::cuda)->version == "12.1");
  CHECK(p->facts.find(bp::facts::cuda)->reason == "`cuda: \"12.1\"` (" + (dir / "mlpack.yaml").string() + ":2)");

  bp::FlagValues none;
  none.values["--cuda"] = {"none"};
  p = detect(none);
  REQUIRE(p);
  CHECK_FALSE(p->facts.find(bp::facts::cuda)->version);

  bp::FlagValues bad;
  bad.values["--cuda"] = {"cu121"};
  auto refused = detect(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("invalid `--cuda cu121`") == 0);

  mlpack::test::write_text(dir / "mlpack.yaml", "cuda: twelve\n");
  auto bad_yaml = detect();
  REQUIRE_FALSE(bad_yaml);
  CHECK(bad_yaml.error().message.find("mlpack.yaml:1:7: invalid CUDA setting `twelve`") != std::string::npos);

  // The lock records the decision; the inputs change with it; configure says what the image needs.
  mlpack::test::write_text(dir / "mlpack.yaml", "cuda: \"12.1\"\n");
  p = detect();
  REQUIRE(p);
  bp::Options options;
  bp::Context ctx{*p, options, {}, {}, nullptr};
  auto parts = cuda_bp->inputs(ctx);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].name == "cuda");
  lock::LockFile lock;
  REQUIRE(cuda_bp->resolve(ctx, lock));
  CHECK(lock.target.cuda == "12.1");
  bp::ConfigDraft draft;
  REQUIRE(cuda_bp->configure(ctx, lock, draft));
  CHECK(std::find(draft.config.env.begin(), draft.config.env.end(), "NVIDIA_REQUIRE_CUDA=cuda>=12.1") !=
        draft.config.env.end());
  CHECK(draft.config.labels.at("org.mlpack.cuda.driver-min") == "525.60.13");

  auto none_project = detect(none);
  REQUIRE(none_project);
  bp::Context ctx_none{*none_project, options, {}, {}, nullptr};
  CHECK(cuda_bp->inputs(ctx_none)[0].text != parts[0].text);
  lock::LockFile cpu_lock;
  REQUIRE(cuda_bp->resolve(ctx_none, cpu_lock));
  CHECK_FALSE(cpu_lock.target.cuda);
  bp::ConfigDraft cpu_draft;
  REQUIRE(cuda_bp->configure(ctx_none, cpu_lock, cpu_draft));
  CHECK(cpu_draft.config.env.empty());
  CHECK(cpu_draft.config.labels.empty());
}

TEST_CASE("the contradiction reaches detect as invalid input naming both lines") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  mlpack::test::write_text(tmp->path() / "requirements.txt",
                           "--extra-index-url https://download.pytorch.org/whl/cu118\ntorch==2.3.1+cu121\n");
  auto file = detectors::parse_requirements_file(tmp->path() / "requirements.txt", tmp->path());
  REQUIRE(file);
  auto d = auto_from(cuda::requirements_hints(*file, tmp->path()));
  REQUIRE_FALSE(d);
  CHECK(d.error().message.find("(requirements.txt:1)") != std::string::npos);
  CHECK(d.error().message.find("(requirements.txt:2)") != std::string::npos);
}

TEST_CASE("requirements for other platforms name no variant of a Linux image") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  mlpack::test::write_text(tmp->path() / "requirements.txt",
                           "torch==2.3.1+cpu ; sys_platform == 'darwin'\n"
                           "torch==2.3.1+cu121 ; sys_platform == 'linux' and python_version >= '3.10'\n");
  auto file = detectors::parse_requirements_file(tmp->path() / "requirements.txt", tmp->path());
  REQUIRE(file);
  auto hints = cuda::requirements_hints(*file, tmp->path());
  REQUIRE(hints.size() == 1);
  CHECK(hints[0].where == "requirements.txt:2");
  auto d = auto_from(hints);
  REQUIRE(d);
  CHECK(d->version == "12.1");
}
