#include "detectors/python_lockfiles.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "corpora.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using detectors::ImportedLock;
using detectors::LockedSource;
using detectors::LockSelection;

namespace {

// Targets are spelled out rather than derived, so these tests pin the importers, not
// MarkerEnvironment::for_target.
pypi::MarkerEnvironment linux(std::string python_full = "3.11.9", std::string machine = "x86_64") {
  pypi::MarkerEnvironment env;
  env.values = {{"os_name", "posix"},
                {"sys_platform", "linux"},
                {"platform_system", "Linux"},
                {"platform_machine", machine},
                {"platform_release", ""},
                {"platform_version", ""},
                {"platform_python_implementation", "CPython"},
                {"implementation_name", "cpython"},
                {"implementation_version", python_full},
                {"python_full_version", python_full},
                {"python_version", python_full.substr(0, python_full.rfind('.'))}};
  return env;
}

pypi::MarkerEnvironment windows(std::string python_full = "3.11.9") {
  auto env = linux(python_full, "AMD64");
  env.values["os_name"] = "nt";
  env.values["sys_platform"] = "win32";
  env.values["platform_system"] = "Windows";
  return env;
}

namespace fs = std::filesystem;

struct Project {
  util::TempDir dir = std::move(*util::TempDir::create());

  fs::path write(const std::string& name, const std::string& text) {
    auto path = dir.path() / name;
    REQUIRE(util::write_file_atomic(path, text));
    return path;
  }
  util::Result<ImportedLock> import(const std::string& name, const pypi::MarkerEnvironment& env,
                                    const LockSelection& selection = {}) {
    return detectors::import_lockfile(dir.path() / name, dir.path(), env, selection);
  }
};

std::vector<std::string> names(const ImportedLock& lock) {
  std::vector<std::string> out;
  for (const auto& d : lock.distributions) out.push_back(d.name + "==" + d.version);
  return out;
}

const detectors::LockedDistribution* find(const ImportedLock& lock, std::string_view name) {
  for (const auto& d : lock.distributions)
    if (d.name == name) return &d;
  return nullptr;
}

using Names = std::vector<std::string>;

// A uv.lock as `uv lock` writes it for a project (virtual, i.e. `package = false`) that needs
// numpy (forked on the Python version), requests (with the `socks` extra behind the project's
// own `socks` extra), tqdm (colorama on Windows), an x86_64-Linux-only NCCL behind `gpu`, and a
// `dev` group with pytest.
const char* const uv_lock = R"~(version = 1
revision = 2
requires-python = ">=3.9"
resolution-markers = [
    "python_full_version >= '3.10'",
    "python_full_version < '3.10'",
]

[[package]]
name = "certifi"
version = "2024.8.30"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/b0/ee/9b19140fe824b367c04c5e1b369942dd754c4c5462d5674002f75c4dedc1/certifi-2024.8.30.tar.gz", hash = "sha256:bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda73ea9afffd69fd9", size = 168507, upload-time = "2024-08-30T01:55:04.365Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/12/90/3c9ff0512038035f59d279fddeb79f5f1eccd8859f06d6163c58798b9487/certifi-2024.8.30-py3-none-any.whl", hash = "sha256:922820b53db7a7257ffbda3f597266d435245903d80737e34f8a45ff3e3230d8", size = 167321, upload-time = "2024-08-30T01:55:02.591Z" },
]

[[package]]
name = "charset-normalizer"
version = "3.4.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/f2/4f/e1808dc01273379acc506d18f1504eb2d299bd4131743b9fc54d7be4df1e/charset_normalizer-3.4.0.tar.gz", hash = "sha256:223217c3d4f82c3ac5e29032b3f1c2eb0fb591b72161f86d93f5719079dae93e", size = 106620 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/f3/89/68a4c86f1a0002810a27f12e9a7b22feb198c59b2f05231349fbce5c06f4/charset_normalizer-3.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hash = "sha256:6b493a043635eb376e50eedf7818f2f322eabbaa974e948bd8bdd29eb7ef2a51", size = 142425 },
    { url = "https://files.pythonhosted.org/packages/bf/9b/08c0432272d77b04803958a4598a51e2a4b51c06640af8b8f0f908c18bf2/charset_normalizer-3.4.0-py3-none-any.whl", hash = "sha256:fe9f97feb71aa9896b81973a7bbada8c49501dc73e58a10fcef6663af95e5079", size = 49446 },
]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/d8/53/6f443c9a4a8358a93a6792e2acffb9d9d5cb0a5cfd8802644b7b1c9a02e4/colorama-0.4.6.tar.gz", hash = "sha256:08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44", size = 27697 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/d1/d6/3965ed04c63042e047cb6a3e6ed1a63a35087b6a609aa3a15ed8ac56c221/colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6", size = 25335 },
]

[[package]]
name = "demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "numpy", version = "2.0.2", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.10'" },
    { name = "numpy", version = "2.1.3", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.10'" },
    { name = "requests" },
    { name = "tqdm" },
]

[package.optional-dependencies]
gpu = [
    { name = "nvidia-nccl-cu12", marker = "platform_machine == 'x86_64' and sys_platform == 'linux'" },
]
socks = [
    { name = "requests", extra = ["socks"] },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[package.metadata]
requires-dist = [
    { name = "numpy", specifier = ">=2" },
    { name = "nvidia-nccl-cu12", marker = "platform_machine == 'x86_64' and sys_platform == 'linux' and extra == 'gpu'", specifier = ">=2.20" },
    { name = "requests", specifier = ">=2.32" },
    { name = "requests", extras = ["socks"], marker = "extra == 'socks'", specifier = ">=2.32" },
    { name = "tqdm", specifier = ">=4.66" },
]
provides-extras = ["gpu", "socks"]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8.3" }]

[[package]]
name = "exceptiongroup"
version = "1.2.2"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/09/35/2495c4ac46b980e4ca1f6ad6db102322ef3ad2410b79fdde159a4b0f3b92/exceptiongroup-1.2.2.tar.gz", hash = "sha256:47c2edf7c6738fafb49fd34290706d1a1a2f4d1c6df275526b62cbb4aa5393cc", size = 28883 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/02/cc/b7e31358aac6ed1ef2bb790a9746ac2c69bcb3c8588b41616914eb14e0e3/exceptiongroup-1.2.2-py3-none-any.whl", hash = "sha256:3111b9d131c238bec2f8f516e123e14ba243563fb135d3fe885990585aa7795b", size = 16453 },
]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/f1/70/7703c29685631f5a7590aa73f1f1d3fa9a380e654b86af429e0934a32f7d/idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9", size = 190490 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/76/c6/c88e154df9c4e1a2a66ccf0005a88dfb2650c1dffb6f5ce603dfbd452ce3/idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3", size = 70442 },
]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/d7/4b/cbd8e699e64a6f16ca3a8220661b5f83792b3017d0f79807cb8708d33913/iniconfig-2.0.0.tar.gz", hash = "sha256:2d91e135bf72d31a410b17c16da610a82cb55f6b0477d1a902134b24a455b8b3", size = 4646 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/ef/a6/62565a6e1cf69e10f5727360368e451d4b7f58beeac6173dc9db836a5b46/iniconfig-2.0.0-py3-none-any.whl", hash = "sha256:b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374", size = 5892 },
]

[[package]]
name = "numpy"
version = "2.0.2"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version < '3.10'",
]
sdist = { url = "https://files.pythonhosted.org/packages/a9/75/10dd1f8116a8b796cb2c737b674e02d02e80454bda953fa7e65d8c12b016/numpy-2.0.2.tar.gz", hash = "sha256:883c987dee1880e2a864ab0dc9892292582510604156762362d9326444636e78", size = 18902015 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/43/c1/41c8f6df3162b0c6ffd4437d729115704bd43363de0090c7f913cfbc2d89/numpy-2.0.2-cp39-cp39-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", hash = "sha256:9059e10581ce4093f735ed23f3b9d283b9d517ff46009ddd485f1747eb22653c", size = 13930489 },
]

[[package]]
name = "numpy"
version = "2.1.3"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version >= '3.10'",
]
sdist = { url = "https://files.pythonhosted.org/packages/25/ca/1166b75c21abd1da445b97bf1fa2f14f423c6cfb4fc7c4ef31dccf9f6a94/numpy-2.1.3.tar.gz", hash = "sha256:aa08e04e08aaf974d4458def539dece0d28146d866a39da5639596f4921fd761", size = 20166090 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/6b/6c/a9fbef5fd2f9685212af2a9e47485cde9357c3e303e079ccf85127516f2d/numpy-2.1.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hash = "sha256:13138eadd4f4da03074851a698ffa7e405f41a0845a6b1ad135b81596e4e9958", size = 16266569 },
]

[[package]]
name = "nvidia-nccl-cu12"
version = "2.23.4"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/ed/1f/6482380ec8dcec4894e7503490fc536d846b0d59694acad9cf99f27d0e7d/nvidia_nccl_cu12-2.23.4-py3-none-manylinux2014_x86_64.whl", hash = "sha256:b097258d9aab2fa9f686e33c6fe40ae57b27df60cedbd15d139701bb5509e0c1", size = 198953892 },
]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/96/2d/02d4312c973c6050a18b314a5ad0b3210edb65a906f868e31c111dede4a6/pluggy-1.5.0.tar.gz", hash = "sha256:2cffa88e94fdc978c4c574f15f9e59b7f4201d439195c3715ca9e2486f1d0cf1", size = 67955 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/88/5f/e351af9a41f866ac3f1fac4ca0613908d9a41741cfcf2228f4ad853b697d/pluggy-1.5.0-py3-none-any.whl", hash = "sha256:44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669", size = 20556 },
]

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/bd/11/293dd436aea955d45fc4e8a35b6ae7270f5b8e00b53cf6c024c83b657a11/PySocks-1.7.1.tar.gz", hash = "sha256:3f8804571ebe159c380ac6de37643bb4685970655d3bba243530d6558b799aa0", size = 284429 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/8d/59/b4572118e098ac8e46e399a1dd0f2d85403ce8bbaad9ec79373ed6badaf9/PySocks-1.7.1-py3-none-any.whl", hash = "sha256:2725bd0a9925919b9b51739eea5f9e2bae91e83288108a9ad338b2e3a4435ee5", size = 16725 },
]

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "exceptiongroup", marker = "python_full_version < '3.11'" },
    { name = "iniconfig" },
    { name = "pluggy" },
]
sdist = { url = "https://files.pythonhosted.org/packages/8b/6c/62bbd536103af674e227c41a8f3dcd022d591f6eed5facb5a0f31ee33bbc/pytest-8.3.3.tar.gz", hash = "sha256:70b98107bd648308a7952b06e6ca9a50bc660be218d53c257cc1fc94fda10181", size = 1442487 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/6b/77/7440a06a8ead44c7757a64362dd22df5760f9b12dc5f11b6188cd2fc27a0/pytest-8.3.3-py3-none-any.whl", hash = "sha256:a6853c7375b2663155079443d2e45de913a911a11d669df02a50814944db57b2", size = 342341 },
]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "certifi" },
    { name = "charset-normalizer" },
    { name = "idna" },
    { name = "urllib3" },
]
sdist = { url = "https://files.pythonhosted.org/packages/63/70/2bf7780ad2d390a8d301ad0b550f1581eadbd9a20f896afe06353c2a2913/requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760", size = 131218 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/f9/9b/335f9764261e915ed497fcdeb11df5dfd6f7bf257d4a6a2a686d80da4d54/requests-2.32.3-py3-none-any.whl", hash = "sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6", size = 64928 },
]

[package.optional-dependencies]
socks = [
    { name = "pysocks" },
]

[[package]]
name = "tqdm"
version = "4.67.1"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
]
sdist = { url = "https://files.pythonhosted.org/packages/a8/4b/29b4ef32e036bb34e4ab51796dd745cdba7ed47ad142a9f4a1eb8e0c744d/tqdm-4.67.1.tar.gz", hash = "sha256:f8aef9c52c08c13a65f30ea34f4e5aac3fd1a34959879d7e59e63027286627f2", size = 169737 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/d0/30/dc54f88dd4a2b5dc8a0279bdd7270e735851848b762aeb1c1184ed1f6b14/tqdm-4.67.1-py3-none-any.whl", hash = "sha256:26445eca388f82e72884e0d580d5464cd801a3ea01e63e5601bdff9ba6a48de2", size = 78540 },
]

[[package]]
name = "urllib3"
version = "2.2.3"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/ed/63/22ba4ebfe7430b76388e7cd448d5478814d3032121827c12a2cc287e2260/urllib3-2.2.3.tar.gz", hash = "sha256:e7d814a81dad81e6caf2ec9fdedb284ecc9c73076b62654547cc64ccdcae26e9", size = 300677 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/ce/d9/5f4c13cecde62396b0d3fe530a50ccea91e7dfc1ccf0e09c228841bb5ba8/urllib3-2.2.3-py3-none-any.whl", hash = "sha256:ca899ca043dcb1bafa3e262d73aa25c465bfb49e0bd9dd5d59f1d0acba2f8fac", size = 126338 },
]
)~";

std::string replace(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("uv.lock: the walk from the project follows only the edges whose markers hold") {
  Project p;
  p.write("uv.lock", uv_lock);

  auto on_linux = p.import("uv.lock", linux());
  REQUIRE_MESSAGE(on_linux, on_linux.error().message);
  CHECK(on_linux->format == "uv.lock");
  CHECK(on_linux->file == "uv.lock");
  CHECK(on_linux->requires_python == ">=3.9");
  CHECK(names(*on_linux) == Names{"certifi==2024.8.30", "charset-normalizer==3.4.0", "idna==3.10", "numpy==2.1.3",
                                  "requests==2.32.3", "tqdm==4.67.1", "urllib3==2.2.3"});

  // colorama comes only with tqdm on Windows.
  auto on_windows = p.import("uv.lock", windows());
  REQUIRE(on_windows);
  CHECK(find(*on_windows, "colorama") != nullptr);
  CHECK(on_windows->distributions.size() == on_linux->distributions.size() + 1);

  // An older Python takes the other fork of numpy.
  auto old_arm = p.import("uv.lock", linux("3.9.18", "aarch64"));
  REQUIRE(old_arm);
  REQUIRE(find(*old_arm, "numpy"));
  CHECK(find(*old_arm, "numpy")->version == "2.0.2");

  const auto* requests = find(*on_linux, "requests");
  REQUIRE(requests);
  CHECK(requests->direct);
  CHECK_FALSE(find(*on_linux, "certifi")->direct);
  CHECK(requests->source == LockedSource::index);
  CHECK(requests->index == "https://pypi.org/simple");
  REQUIRE(requests->files.size() == 2);
  CHECK(requests->files[0].filename == "requests-2.32.3.tar.gz");
  CHECK(requests->files[1].filename == "requests-2.32.3-py3-none-any.whl");
  CHECK(requests->files[1].sha256 == "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6");
  CHECK(requests->files[1].size == 64928);
  CHECK(requests->files[1].url.starts_with("https://files.pythonhosted.org/packages/f9/9b/"));
}

TEST_CASE("uv.lock: extras and dependency groups of the project") {
  Project p;
  p.write("uv.lock", uv_lock);

  auto socks = p.import("uv.lock", linux(), {.extras = {"socks"}});
  REQUIRE(socks);
  CHECK(find(*socks, "pysocks") != nullptr);  // through requests[socks]
  CHECK(find(*socks, "nvidia-nccl-cu12") == nullptr);

  auto gpu_x86 = p.import("uv.lock", linux(), {.extras = {"GPU"}});
  REQUIRE(gpu_x86);
  CHECK(find(*gpu_x86, "nvidia-nccl-cu12") != nullptr);
  CHECK(find(*gpu_x86, "nvidia-nccl-cu12")->direct);
  auto gpu_arm = p.import("uv.lock", linux("3.11.9", "aarch64"), {.extras = {"gpu"}});
  REQUIRE(gpu_arm);
  CHECK(find(*gpu_arm, "nvidia-nccl-cu12") == nullptr);

  auto dev = p.import("uv.lock", linux(), {.groups = {"dev"}});
  REQUIRE(dev);
  CHECK(find(*dev, "pytest") != nullptr);
  CHECK(find(*dev, "pluggy") != nullptr);
  CHECK(find(*dev, "exceptiongroup") == nullptr);  // only before 3.11
  auto dev_old = p.import("uv.lock", linux("3.10.14"), {.groups = {"dev"}});
  REQUIRE(dev_old);
  CHECK(find(*dev_old, "exceptiongroup") != nullptr);

  auto unknown = p.import("uv.lock", linux(), {.extras = {"cuda"}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind == util::ErrorKind::invalid_input);
  CHECK(unknown.error().message == "uv.lock: the project has no extra `cuda` in the lock");
  CHECK_FALSE(p.import("uv.lock", linux(), {.groups = {"docs"}}));
}

TEST_CASE("uv.lock: versions, hashes and broken edges are errors naming file, line and package") {
  Project p;
  p.write("uv.lock", replace(uv_lock, "version = 1\n", "version = 2\n"));
  auto v2 = p.import("uv.lock", linux());
  REQUIRE_FALSE(v2);
  CHECK(v2.error().kind == util::ErrorKind::invalid_input);
  CHECK(v2.error().message.starts_with("uv.lock:1:11: uv.lock version 2 is not one mlpack reads"));

  // tqdm without any hash.
  auto no_hash = replace(uv_lock, ", hash = \"sha256:f8aef9c52c08c13a65f30ea34f4e5aac3fd1a34959879d7e59e63027286627f2\"", "");
  no_hash = replace(no_hash, ", hash = \"sha256:26445eca388f82e72884e0d580d5464cd801a3ea01e63e5601bdff9ba6a48de2\"", "");
  p.write("uv.lock", no_hash);
  auto unhashed = p.import("uv.lock", linux());
  REQUIRE_FALSE(unhashed);
  CHECK(unhashed.error().kind == util::ErrorKind::invalid_input);
  CHECK(unhashed.error().message.find("`tqdm 4.67.1` has no sha256 hash for any file") != std::string::npos);
  CHECK(unhashed.error().message.starts_with("uv.lock:"));

  p.write("uv.lock", replace(uv_lock, "{ name = \"tqdm\" },\n]", "{ name = \"tqdm\" },\n    { name = \"rich\" },\n]"));
  auto dangling = p.import("uv.lock", linux());
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().message.find("`demo` depends on `rich`, which the lock does not list") != std::string::npos);

  p.write("uv.lock", replace(uv_lock, "marker = \"sys_platform == 'win32'\" },\n]\nsdist = { url = \"https://files.pythonhosted.org/packages/a8",
                             "marker = \"sys_platform ==\" },\n]\nsdist = { url = \"https://files.pythonhosted.org/packages/a8"));
  auto bad_marker = p.import("uv.lock", linux());
  REQUIRE_FALSE(bad_marker);
  CHECK(bad_marker.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad_marker.error().message.find("`tqdm`: marker `sys_platform ==`") != std::string::npos);

  p.write("uv.lock", replace(uv_lock, "requires-python = \">=3.9\"", "requires-python = \">=3.12\""));
  auto too_old = p.import("uv.lock", linux());
  REQUIRE_FALSE(too_old);
  CHECK(too_old.error().kind == util::ErrorKind::unsatisfiable);

  p.write("uv.lock", "version = 1\n[[package]\nname = \"x\"\n");
  auto syntax = p.import("uv.lock", linux());
  REQUIRE_FALSE(syntax);
  CHECK(syntax.error().kind == util::ErrorKind::invalid_input);
  CHECK(syntax.error().message.starts_with("uv.lock:2:"));
}

TEST_CASE("uv.lock: an editable project with a git dependency and a local package") {
  Project p;
  p.write("uv.lock", R"~(version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "1.0.0"
source = { editable = "." }
dependencies = [
    { name = "helpers" },
    { name = "httpx" },
]

[[package]]
name = "helpers"
version = "0.3.0"
source = { directory = "libs/helpers" }

[[package]]
name = "httpx"
version = "0.28.0.dev0"
source = { git = "https://github.com/encode/httpx?rev=master#3f7e3f1e4c2a8b6d9c0e1f2a3b4c5d6e7f8091a2" }
)~");
  auto lock = p.import("uv.lock", linux());
  REQUIRE_MESSAGE(lock, lock.error().message);
  CHECK(names(*lock) == Names{"helpers==0.3.0", "httpx==0.28.0.dev0"});
  const auto* helpers = find(*lock, "helpers");
  CHECK(helpers->source == LockedSource::directory);
  CHECK(helpers->directory == (p.dir.path() / "libs" / "helpers").string());
  const auto* httpx = find(*lock, "httpx");
  CHECK(httpx->source == LockedSource::vcs);
  CHECK(httpx->vcs_url == "https://github.com/encode/httpx");
  CHECK(httpx->commit == "3f7e3f1e4c2a8b6d9c0e1f2a3b4c5d6e7f8091a2");
}

namespace {

const char* const poetry_pyproject = R"~([tool.poetry]
name = "forecast"
version = "0.1.0"
description = ""
authors = ["Data Team <data@example.com>"]

[tool.poetry.dependencies]
python = "^3.10"
requests = {version = "^2.32", extras = ["socks"]}
click = "^8.1"
pywin32 = {version = ">=306", markers = "sys_platform == 'win32'"}

[tool.poetry.group.dev.dependencies]
pytest = "^8.3"

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
)~";

// poetry.lock 2.0 (Poetry 1.8): files on each package, no categories, no groups.
const char* const poetry_lock_20 = R"~(# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.

[[package]]
name = "certifi"
version = "2024.8.30"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
files = [
    {file = "certifi-2024.8.30-py3-none-any.whl", hash = "sha256:922820b53db7a7257ffbda3f597266d435245903d80737e34f8a45ff3e3230d8"},
    {file = "certifi-2024.8.30.tar.gz", hash = "sha256:bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda73ea9afffd69fd9"},
]

[[package]]
name = "click"
version = "8.1.7"
description = "Composable command line interface toolkit"
optional = false
python-versions = ">=3.7"
files = [
    {file = "click-8.1.7-py3-none-any.whl", hash = "sha256:ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28"},
    {file = "click-8.1.7.tar.gz", hash = "sha256:ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de"},
]

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \"Windows\""}

[[package]]
name = "colorama"
version = "0.4.6"
description = "Cross-platform colored terminal text."
optional = false
python-versions = "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,!=3.5.*,!=3.6.*,>=2.7"
files = [
    {file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6"},
    {file = "colorama-0.4.6.tar.gz", hash = "sha256:08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44"},
]

[[package]]
name = "exceptiongroup"
version = "1.2.2"
description = "Backport of PEP 654 (exception groups)"
optional = false
python-versions = ">=3.7"
files = [
    {file = "exceptiongroup-1.2.2-py3-none-any.whl", hash = "sha256:3111b9d131c238bec2f8f516e123e14ba243563fb135d3fe885990585aa7795b"},
    {file = "exceptiongroup-1.2.2.tar.gz", hash = "sha256:47c2edf7c6738fafb49fd34290706d1a1a2f4d1c6df275526b62cbb4aa5393cc"},
]

[[package]]
name = "idna"
version = "3.10"
description = "Internationalized Domain Names in Applications (IDNA)"
optional = false
python-versions = ">=3.6"
files = [
    {file = "idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"},
    {file = "idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9"},
]

[[package]]
name = "iniconfig"
version = "2.0.0"
description = "brain-dead simple config-ini parsing"
optional = false
python-versions = ">=3.7"
files = [
    {file = "iniconfig-2.0.0-py3-none-any.whl", hash = "sha256:b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374"},
    {file = "iniconfig-2.0.0.tar.gz", hash = "sha256:2d91e135bf72d31a410b17c16da610a82cb55f6b0477d1a902134b24a455b8b3"},
]

[[package]]
name = "pluggy"
version = "1.5.0"
description = "plugin and hook calling mechanisms for python"
optional = false
python-versions = ">=3.8"
files = [
    {file = "pluggy-1.5.0-py3-none-any.whl", hash = "sha256:44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669"},
    {file = "pluggy-1.5.0.tar.gz", hash = "sha256:2cffa88e94fdc978c4c574f15f9e59b7f4201d439195c3715ca9e2486f1d0cf1"},
]

[[package]]
name = "pysocks"
version = "1.7.1"
description = "A Python SOCKS client module."
optional = false
python-versions = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*"
files = [
    {file = "PySocks-1.7.1-py27-none-any.whl", hash = "sha256:08e69f092cc6dbe92a0fdd16eeb9b9ffbc13cadfe5ca4c7bd92ffb078b293299"},
    {file = "PySocks-1.7.1-py3-none-any.whl", hash = "sha256:2725bd0a9925919b9b51739eea5f9e2bae91e83288108a9ad338b2e3a4435ee5"},
    {file = "PySocks-1.7.1.tar.gz", hash = "sha256:3f8804571ebe159c380ac6de37643bb4685970655d3bba243530d6558b799aa0"},
]

[[package]]
name = "pytest"
version = "8.3.3"
description = "pytest: simple powerful testing with Python"
optional = false
python-versions = ">=3.8"
files = [
    {file = "pytest-8.3.3-py3-none-any.whl", hash = "sha256:a6853c7375b2663155079443d2e45de913a911a11d669df02a50814944db57b2"},
    {file = "pytest-8.3.3.tar.gz", hash = "sha256:70b98107bd648308a7952b06e6ca9a50bc660be218d53c257cc1fc94fda10181"},
]

[package.dependencies]
colorama = {version = "*", markers = "sys_platform == \"win32\""}
exceptiongroup = {version = ">=1.0.0rc8", markers = "python_version < \"3.11\""}
iniconfig = "*"
packaging = "*"
pluggy = ">=1.5,<2"

[package.extras]
dev = ["argcomplete", "attrs (>=19.2)", "hypothesis (>=3.56)", "mock", "pygments (>=2.7.2)", "requests", "setuptools", "xmlschema"]

[[package]]
name = "packaging"
version = "24.2"
description = "Core utilities for Python packages"
optional = false
python-versions = ">=3.8"
files = [
    {file = "packaging-24.2-py3-none-any.whl", hash = "sha256:09abb1bccd265c01f4a3aa3f7a7db064b36514d2cba19a2f694fe6150451a759"},
    {file = "packaging-24.2.tar.gz", hash = "sha256:c228a6dc5e932d346bc5739379109d49e8853dd8223571c7c5b55260edc0b97f"},
]

[[package]]
name = "pywin32"
version = "308"
description = "Python for Window Extensions"
optional = false
python-versions = "*"
files = [
    {file = "pywin32-308-cp311-cp311-win_amd64.whl", hash = "sha256:575621b90f0dc2695fec346b2d6302faebd4f0f45c05ea29404cefe35d89442b"},
]

[[package]]
name = "requests"
version = "2.32.3"
description = "Python HTTP for Humans."
optional = false
python-versions = ">=3.8"
files = [
    {file = "requests-2.32.3-py3-none-any.whl", hash = "sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"},
    {file = "requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"},
]

[package.dependencies]
certifi = ">=2017.4.17"
charset-normalizer = ">=2,<4"
idna = ">=2.5,<4"
PySocks = {version = ">=1.5.6,<1.5.7 || >1.5.7", optional = true, markers = "extra == \"socks\""}
urllib3 = ">=1.21.1,<3"

[package.extras]
socks = ["PySocks (>=1.5.6,!=1.5.7)"]
use-chardet-on-py3 = ["chardet (>=3.0.2,<6)"]

[[package]]
name = "charset-normalizer"
version = "3.4.0"
description = "The Real First Universal Charset Detector."
optional = false
python-versions = ">=3.7.0"
files = [
    {file = "charset_normalizer-3.4.0-py3-none-any.whl", hash = "sha256:fe9f97feb71aa9896b81973a7bbada8c49501dc73e58a10fcef6663af95e5079"},
    {file = "charset_normalizer-3.4.0.tar.gz", hash = "sha256:223217c3d4f82c3ac5e29032b3f1c2eb0fb591b72161f86d93f5719079dae93e"},
]

[[package]]
name = "urllib3"
version = "2.2.3"
description = "HTTP library with thread-safe connection pooling, file post, and more."
optional = false
python-versions = ">=3.8"
files = [
    {file = "urllib3-2.2.3-py3-none-any.whl", hash = "sha256:ca899ca043dcb1bafa3e262d73aa25c465bfb49e0bd9dd5d59f1d0acba2f8fac"},
    {file = "urllib3-2.2.3.tar.gz", hash = "sha256:e7d814a81dad81e6caf2ec9fdedb284ecc9c73076b62654547cc64ccdcae26e9"},
]

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "5d3c4e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
)~";

}  // namespace

TEST_CASE("poetry.lock 2.0: a walk from pyproject.toml, markers per target") {
  Project p;
  p.write("pyproject.toml", poetry_pyproject);
  p.write("poetry.lock", poetry_lock_20);

  auto on_linux = p.import("poetry.lock", linux("3.10.14"));
  REQUIRE_MESSAGE(on_linux, on_linux.error().message);
  CHECK(on_linux->format == "poetry.lock");
  CHECK_FALSE(on_linux->requires_python);  // "^3.10" is Poetry's syntax, not PEP 440
  CHECK(names(*on_linux) == Names{"certifi==2024.8.30", "charset-normalizer==3.4.0", "click==8.1.7", "idna==3.10",
                                  "pysocks==1.7.1", "requests==2.32.3", "urllib3==2.2.3"});
  CHECK(find(*on_linux, "requests")->direct);
  CHECK_FALSE(find(*on_linux, "idna")->direct);
  const auto* certifi = find(*on_linux, "certifi");
  REQUIRE(certifi->files.size() == 2);
  CHECK(certifi->files[0].filename == "certifi-2024.8.30-py3-none-any.whl");
  CHECK(certifi->files[0].url.empty());
  CHECK(certifi->files[0].sha256 == "922820b53db7a7257ffbda3f597266d435245903d80737e34f8a45ff3e3230d8");

  auto on_windows = p.import("poetry.lock", windows("3.12.7"));
  REQUIRE(on_windows);
  CHECK(find(*on_windows, "colorama") != nullptr);
  CHECK(find(*on_windows, "pywin32") != nullptr);
  CHECK(on_windows->distributions.size() == on_linux->distributions.size() + 2);

  auto dev = p.import("poetry.lock", linux("3.10.14"), {.groups = {"dev"}});
  REQUIRE(dev);
  for (const char* name : {"pytest", "pluggy", "iniconfig", "packaging", "exceptiongroup"})
    CHECK_MESSAGE(find(*dev, name) != nullptr, name);
  CHECK(find(*dev, "colorama") == nullptr);
  auto dev_new = p.import("poetry.lock", linux("3.12.7"), {.groups = {"dev"}});
  REQUIRE(dev_new);
  CHECK(find(*dev_new, "exceptiongroup") == nullptr);
}

TEST_CASE("poetry.lock 2.0 without pyproject.toml: the lock's own roots") {
  Project p;
  p.write("poetry.lock", poetry_lock_20);
  auto lock = p.import("poetry.lock", linux("3.10.14"));
  REQUIRE_MESSAGE(lock, lock.error().message);
  // pytest and pywin32 are nobody's dependency, so they count as roots; requests' optional
  // PySocks stays out without the extra.
  CHECK(find(*lock, "pytest") != nullptr);
  CHECK(find(*lock, "pywin32") != nullptr);
  CHECK(find(*lock, "pysocks") == nullptr);
  CHECK(find(*lock, "colorama") == nullptr);
}

TEST_CASE("poetry.lock 1.1: categories and [metadata.files]") {
  Project p;
  p.write("poetry.lock", R"~([[package]]
name = "numpy"
version = "1.26.4"
description = "Fundamental package for array computing in Python"
category = "main"
optional = false
python-versions = ">=3.9"

[[package]]
name = "pandas"
version = "2.2.2"
description = "Powerful data structures for data analysis, time series, and statistics"
category = "main"
optional = false
python-versions = ">=3.9"

[package.dependencies]
numpy = [
    {version = ">=1.22.4,<2", markers = "python_version < \"3.11\""},
    {version = ">=2.0", markers = "python_version >= \"3.11\""},
]

[[package]]
name = "numpy"
version = "2.0.2"
description = "Fundamental package for array computing in Python"
category = "main"
optional = false
python-versions = ">=3.9"

[[package]]
name = "black"
version = "24.4.2"
description = "The uncompromising code formatter."
category = "dev"
optional = false
python-versions = ">=3.8"

[metadata]
lock-version = "1.1"
python-versions = "^3.9"
content-hash = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"

[metadata.files]
numpy = [
    {file = "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hash = "sha256:9ff0f4f29c51e2803569d7a51c2304de5554655a60c5d776e35b4a41413830d0"},
    {file = "numpy-1.26.4.tar.gz", hash = "sha256:2a02aba9ed12e4ac4eb3ea9421c420301a0c6460d9830d74a9df87efa4912010"},
    {file = "numpy-2.0.2.tar.gz", hash = "sha256:883c987dee1880e2a864ab0dc9892292582510604156762362d9326444636e78"},
]
pandas = [
    {file = "pandas-2.2.2.tar.gz", hash = "sha256:9e79019aba43cb4fda9e4d983f8e88ca0373adbb697ae9c6c43093218de28b54"},
]
black = [
    {file = "black-24.4.2-py3-none-any.whl", hash = "sha256:d36ed1124bb81b32f8614555b34cc4259c3fbc7eec17870e8ff8ded335b58d8c"},
]
)~");
  auto lock = p.import("poetry.lock", linux());
  REQUIRE_MESSAGE(lock, lock.error().message);
  CHECK(names(*lock) == Names{"numpy==2.0.2", "pandas==2.2.2"});
  CHECK(find(*lock, "numpy")->files.size() == 1);
  auto older = p.import("poetry.lock", linux("3.10.14"));
  REQUIRE(older);
  CHECK(names(*older) == Names{"numpy==1.26.4", "pandas==2.2.2"});
  CHECK(find(*older, "numpy")->files.size() == 2);
  auto dev = p.import("poetry.lock", linux(), {.groups = {"dev"}});
  REQUIRE(dev);
  CHECK(find(*dev, "black") != nullptr);
}

TEST_CASE("poetry.lock 2.1: groups and markers recorded per package") {
  Project p;
  p.write("poetry.lock", R"~([[package]]
name = "colorama"
version = "0.4.6"
description = "Cross-platform colored terminal text."
optional = false
python-versions = "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,!=3.5.*,!=3.6.*,>=2.7"
groups = ["main", "dev"]
markers = {main = "platform_system == \"Windows\"", dev = "sys_platform == \"win32\" or platform_system == \"Windows\""}
files = [
    {file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6"},
]

[[package]]
name = "click"
version = "8.1.8"
description = "Composable command line interface toolkit"
optional = false
python-versions = ">=3.7"
groups = ["main"]
files = [
    {file = "click-8.1.8-py3-none-any.whl", hash = "sha256:63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2"},
]

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \"Windows\""}

[[package]]
name = "pytest"
version = "8.3.4"
description = "pytest: simple powerful testing with Python"
optional = false
python-versions = ">=3.8"
groups = ["dev"]
files = [
    {file = "pytest-8.3.4-py3-none-any.whl", hash = "sha256:50e16d954148559c9a74109af1eaf0c945ba2d8f30f0a3d3335edde19788b6f6"},
]

[[package]]
name = "torch"
version = "2.5.1+cpu"
description = "Tensors and Dynamic neural networks in Python with strong GPU acceleration"
optional = false
python-versions = ">=3.8.0"
groups = ["main"]
markers = "sys_platform == \"linux\""
files = [
    {file = "torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl", hash = "sha256:7f91a2c4e71e9e1e4d5a8c0b9f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e"},
]

[package.source]
type = "legacy"
url = "https://download.pytorch.org/whl/cpu"
reference = "pytorch-cpu"

[metadata]
lock-version = "2.1"
python-versions = ">=3.10,<3.13"
content-hash = "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"
)~");
  auto on_linux = p.import("poetry.lock", linux());
  REQUIRE_MESSAGE(on_linux, on_linux.error().message);
  CHECK(names(*on_linux) == Names{"click==8.1.8", "torch==2.5.1+cpu"});
  CHECK(on_linux->requires_python == ">=3.10,<3.13");
  CHECK(find(*on_linux, "torch")->index == "https://download.pytorch.org/whl/cpu");
  auto on_windows = p.import("poetry.lock", windows(), {.groups = {"dev"}});
  REQUIRE(on_windows);
  CHECK(names(*on_windows) == Names{"click==8.1.8", "colorama==0.4.6", "pytest==8.3.4"});
}

TEST_CASE("poetry.lock: unknown versions and packages without hashes are invalid input") {
  Project p;
  p.write("poetry.lock", replace(poetry_lock_20, "lock-version = \"2.0\"", "lock-version = \"3.0\""));
  auto v3 = p.import("poetry.lock", linux());
  REQUIRE_FALSE(v3);
  CHECK(v3.error().kind == util::ErrorKind::invalid_input);
  CHECK(v3.error().message.find("lock-version `3.0` is not one mlpack reads") != std::string::npos);
  CHECK(v3.error().message.starts_with("poetry.lock:"));

  p.write("poetry.lock", replace(poetry_lock_20,
                                 "files = [\n    {file = \"idna-3.10-py3-none-any.whl\", hash = \"sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3\"},\n    {file = \"idna-3.10.tar.gz\", hash = \"sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9\"},\n]",
                                 "files = []"));
  auto unhashed = p.import("poetry.lock", linux());
  REQUIRE_FALSE(unhashed);
  CHECK(unhashed.error().kind == util::ErrorKind::invalid_input);
  CHECK(unhashed.error().message.find("`idna 3.10` has no sha256 hash") != std::string::npos);

  p.write("poetry.lock", replace(poetry_lock_20, "hash = \"sha256:ae74fb96", "hash = \"sha256:zz74fb96"));
  auto bad_hash = p.import("poetry.lock", linux());
  REQUIRE_FALSE(bad_hash);
  CHECK(bad_hash.error().message.find("`click`") != std::string::npos);
}

namespace {

const char* const pipfile_lock = R"~({
    "_meta": {
        "hash": {
            "sha256": "8d9c5a0b3e1f2a4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c"
        },
        "pipfile-spec": 6,
        "requires": {
            "python_version": "3.11"
        },
        "sources": [
            {
                "name": "pypi",
                "url": "https://pypi.org/simple",
                "verify_ssl": true
            },
            {
                "name": "pytorch",
                "url": "https://download.pytorch.org/whl/cpu",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "certifi": {
            "hashes": [
                "sha256:922820b53db7a7257ffbda3f597266d435245903d80737e34f8a45ff3e3230d8",
                "sha256:bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda73ea9afffd69fd9"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.6'",
            "version": "==2024.8.30"
        },
        "colorama": {
            "hashes": [
                "sha256:08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44",
                "sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6"
            ],
            "markers": "platform_system == 'Windows'",
            "version": "==0.4.6"
        },
        "requests": {
            "hashes": [
                "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760",
                "sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.8'",
            "version": "==2.32.3"
        },
        "torch": {
            "hashes": [
                "sha256:7f91a2c4e71e9e1e4d5a8c0b9f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e"
            ],
            "index": "pytorch",
            "markers": "platform_machine == 'x86_64'",
            "version": "==2.5.1+cpu"
        },
        "tqdm": {
            "hashes": [
                "sha256:26445eca388f82e72884e0d580d5464cd801a3ea01e63e5601bdff9ba6a48de2",
                "sha256:f8aef9c52c08c13a65f30ea34f4e5aac3fd1a34959879d7e59e63027286627f2"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.7'",
            "version": "==4.67.1"
        }
    },
    "develop": {
        "pytest": {
            "hashes": [
                "sha256:70b98107bd648308a7952b06e6ca9a50bc660be218d53c257cc1fc94fda10181",
                "sha256:a6853c7375b2663155079443d2e45de913a911a11d669df02a50814944db57b2"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.8'",
            "version": "==8.3.3"
        }
    }
}
)~";

}  // namespace

TEST_CASE("Pipfile.lock: default and develop, markers and index names") {
  Project p;
  p.write("Pipfile", "[[source]]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\nname = \"pypi\"\n\n"
                     "[packages]\nrequests = \"*\"\ntqdm = \"*\"\ntorch = {version = \"*\", index = \"pytorch\"}\n\n"
                     "[dev-packages]\npytest = \"*\"\n");
  p.write("Pipfile.lock", pipfile_lock);

  auto x86 = p.import("Pipfile.lock", linux());
  REQUIRE_MESSAGE(x86, x86.error().message);
  CHECK(x86->format == "Pipfile.lock");
  CHECK(x86->requires_python == "==3.11.*");
  CHECK(names(*x86) == Names{"certifi==2024.8.30", "requests==2.32.3", "torch==2.5.1+cpu", "tqdm==4.67.1"});
  const auto* torch = find(*x86, "torch");
  CHECK(torch->index == "https://download.pytorch.org/whl/cpu");
  CHECK(torch->direct);
  CHECK(torch->hashes == std::vector<std::string>{"sha256:7f91a2c4e71e9e1e4d5a8c0b9f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e"});
  CHECK(torch->files.empty());
  CHECK_FALSE(find(*x86, "certifi")->direct);
  CHECK(find(*x86, "tqdm")->index == "https://pypi.org/simple");

  auto arm_windows = windows();
  arm_windows.values["platform_machine"] = "ARM64";
  auto win = p.import("Pipfile.lock", arm_windows, {.groups = {"develop"}});
  REQUIRE(win);
  CHECK(names(*win) == Names{"certifi==2024.8.30", "colorama==0.4.6", "pytest==8.3.3", "requests==2.32.3", "tqdm==4.67.1"});
  CHECK(find(*win, "pytest")->direct);

  CHECK_FALSE(p.import("Pipfile.lock", linux(), {.groups = {"docs"}}));
}

TEST_CASE("Pipfile.lock: spec versions, indexes, hashes and JSON errors name the file and line") {
  Project p;
  p.write("Pipfile.lock", replace(pipfile_lock, "\"pipfile-spec\": 6", "\"pipfile-spec\": 7"));
  auto spec = p.import("Pipfile.lock", linux());
  REQUIRE_FALSE(spec);
  CHECK(spec.error().kind == util::ErrorKind::invalid_input);
  CHECK(spec.error().message.starts_with("Pipfile.lock:6: pipfile-spec 7 is not one mlpack reads"));

  p.write("Pipfile.lock", replace(pipfile_lock, "\"index\": \"pytorch\"", "\"index\": \"nvidia\""));
  auto index = p.import("Pipfile.lock", linux());
  REQUIRE_FALSE(index);
  CHECK(index.error().message == "Pipfile.lock:50: `torch`: `index` `nvidia` is not among `_meta.sources`");

  p.write("Pipfile.lock", replace(pipfile_lock,
                                  "\"hashes\": [\n                \"sha256:7f91a2c4e71e9e1e4d5a8c0b9f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e\"\n            ]",
                                  "\"hashes\": []"));
  auto unhashed = p.import("Pipfile.lock", linux());
  REQUIRE_FALSE(unhashed);
  CHECK(unhashed.error().kind == util::ErrorKind::invalid_input);
  CHECK(unhashed.error().message == "Pipfile.lock:50: `torch`: no `hashes`; mlpack installs only what a hash pins");

  p.write("Pipfile.lock", "{\n  \"_meta\": {\n    \"pipfile-spec\": 6,\n  }\n}\n");
  auto json = p.import("Pipfile.lock", linux());
  REQUIRE_FALSE(json);
  CHECK(json.error().kind == util::ErrorKind::invalid_input);
  CHECK(json.error().message.starts_with("Pipfile.lock:4: not valid JSON"));

  // A number past double's range is an error of its own kind in nlohmann (out_of_range, not
  // parse_error): invalid input all the same, never an abort (found by fuzz_python_lock).
  p.write("Pipfile.lock", "{\"_meta\": 1e999}");
  auto huge = p.import("Pipfile.lock", linux());
  REQUIRE_FALSE(huge);
  CHECK(huge.error().kind == util::ErrorKind::invalid_input);
  CHECK(huge.error().message.starts_with("Pipfile.lock:1: not valid JSON"));

  // Outside text in the message is escaped (a raw DEL, control byte or stray byte never reaches a terminal).
  p.write("Pipfile.lock", std::string("{\"_meta\": \x7f\x1b[31m}"));
  auto raw = p.import("Pipfile.lock", linux());
  REQUIRE_FALSE(raw);
  for (char c : raw.error().message) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
}

TEST_CASE("Pipfile.lock: git, editable path and local archive entries") {
  Project p;
  p.write("Pipfile.lock", R"~({
    "_meta": {"hash": {"sha256": "00"}, "pipfile-spec": 6, "requires": {}, "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]},
    "default": {
        "mylib": {"editable": true, "path": "./libs/mylib"},
        "wheel-only": {"path": "./wheels/wheel_only-1.0-py3-none-any.whl"},
        "django-extensions": {"git": "https://github.com/django-extensions/django-extensions.git", "ref": "8c2f2e3bb0bb2e9a9e46d1b2cb3f4f0e9c8a7b6d"}
    },
    "develop": {}
})~");
  auto lock = p.import("Pipfile.lock", linux());
  REQUIRE_MESSAGE(lock, lock.error().message);
  REQUIRE(lock->distributions.size() == 3);
  CHECK(find(*lock, "mylib")->source == LockedSource::directory);
  CHECK(find(*lock, "mylib")->editable);
  CHECK(find(*lock, "wheel-only")->source == LockedSource::archive);
  CHECK(find(*lock, "wheel-only")->files.at(0).path == (p.dir.path() / "wheels" / "wheel_only-1.0-py3-none-any.whl").string());
  CHECK(find(*lock, "django-extensions")->commit == "8c2f2e3bb0bb2e9a9e46d1b2cb3f4f0e9c8a7b6d");
}

TEST_CASE("pylock.toml: markers, extras and dependency groups (PEP 751)") {
  Project p;
  p.write("pylock.toml", R"~(lock-version = "1.0"
environments = ["sys_platform == 'linux'", "sys_platform == 'win32'"]
requires-python = ">=3.10"
extras = ["socks"]
dependency-groups = ["dev"]
default-groups = []
created-by = "uv"

[[packages]]
name = "requests"
version = "2.32.3"
index = "https://pypi.org/simple"
sdist = { url = "https://files.pythonhosted.org/packages/63/70/2bf7780ad2d390a8d301ad0b550f1581eadbd9a20f896afe06353c2a2913/requests-2.32.3.tar.gz", upload-time = 2024-05-29T15:37:49Z, size = 131218, hashes = { sha256 = "55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760" } }
wheels = [{ url = "https://files.pythonhosted.org/packages/f9/9b/335f9764261e915ed497fcdeb11df5dfd6f7bf257d4a6a2a686d80da4d54/requests-2.32.3-py3-none-any.whl", upload-time = 2024-05-29T15:37:47Z, size = 64928, hashes = { sha256 = "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/d1/d6/3965ed04c63042e047cb6a3e6ed1a63a35087b6a609aa3a15ed8ac56c221/colorama-0.4.6-py2.py3-none-any.whl", size = 25335, hashes = { sha256 = "4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6" } }]

[[packages]]
name = "pysocks"
version = "1.7.1"
marker = "'socks' in extras"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/8d/59/b4572118e098ac8e46e399a1dd0f2d85403ce8bbaad9ec79373ed6badaf9/PySocks-1.7.1-py3-none-any.whl", size = 16725, hashes = { sha256 = "2725bd0a9925919b9b51739eea5f9e2bae91e83288108a9ad338b2e3a4435ee5" } }]

[[packages]]
name = "pytest"
version = "8.3.3"
marker = "'dev' in dependency_groups"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/6b/77/7440a06a8ead44c7757a64362dd22df5760f9b12dc5f11b6188cd2fc27a0/pytest-8.3.3-py3-none-any.whl", size = 342341, hashes = { sha256 = "a6853c7375b2663155079443d2e45de913a911a11d669df02a50814944db57b2" } }]

[[packages]]
name = "exceptiongroup"
version = "1.2.2"
marker = "'dev' in dependency_groups and python_full_version < '3.11'"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/02/cc/b7e31358aac6ed1ef2bb790a9746ac2c69bcb3c8588b41616914eb14e0e3/exceptiongroup-1.2.2-py3-none-any.whl", size = 16453, hashes = { sha256 = "3111b9d131c238bec2f8f516e123e14ba243563fb135d3fe885990585aa7795b" } }]
)~");
  auto plain = p.import("pylock.toml", linux());
  REQUIRE_MESSAGE(plain, plain.error().message);
  CHECK(plain->format == "pylock.toml");
  CHECK(names(*plain) == Names{"requests==2.32.3"});
  CHECK(find(*plain, "requests")->files.size() == 2);
  CHECK(find(*plain, "requests")->files[1].size == 64928);

  auto win = p.import("pylock.toml", windows(), {.extras = {"socks"}});
  REQUIRE(win);
  CHECK(names(*win) == Names{"colorama==0.4.6", "pysocks==1.7.1", "requests==2.32.3"});

  auto dev = p.import("pylock.toml", linux("3.10.14"), {.groups = {"dev"}});
  REQUIRE(dev);
  CHECK(names(*dev) == Names{"exceptiongroup==1.2.2", "pytest==8.3.3", "requests==2.32.3"});

  auto mac = linux();
  mac.values["sys_platform"] = "darwin";
  auto not_covered = p.import("pylock.toml", mac);
  REQUIRE_FALSE(not_covered);
  CHECK(not_covered.error().kind == util::ErrorKind::unsatisfiable);
  CHECK(not_covered.error().message == "pylock.toml:2: none of the lock's `environments` is the target");

  CHECK_FALSE(p.import("pylock.toml", linux(), {.groups = {"docs"}}));
}

TEST_CASE("pylock.toml: lock versions, sources and hashes") {
  Project p;
  p.write("pylock.toml", "lock-version = \"2.0\"\ncreated-by = \"x\"\npackages = []\n");
  auto v2 = p.import("pylock.toml", linux());
  REQUIRE_FALSE(v2);
  CHECK(v2.error().kind == util::ErrorKind::invalid_input);
  CHECK(v2.error().message.starts_with("pylock.toml:1:16: lock-version `2.0` is not one mlpack reads"));

  p.write("pylock.toml", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"numpy\"\nversion = \"2.1.3\"\n"
                         "wheels = [{ url = \"https://example.org/numpy-2.1.3-cp311-cp311-manylinux_2_17_x86_64.whl\" }]\n");
  auto no_hash = p.import("pylock.toml", linux());
  REQUIRE_FALSE(no_hash);
  CHECK(no_hash.error().kind == util::ErrorKind::invalid_input);
  CHECK(no_hash.error().message == "pylock.toml:6:11: `numpy`: a file without `hashes`");

  p.write("pylock.toml", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"numpy\"\nversion = \"2.1.3\"\n"
                         "directory = { path = \".\" }\nvcs = { type = \"git\", url = \"https://github.com/numpy/numpy\", commit-id = \"abc\" }\n");
  auto two = p.import("pylock.toml", linux());
  REQUIRE_FALSE(two);
  CHECK(two.error().message.find("more than one kind of source") != std::string::npos);

  p.write("pylock.toml", "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nversion = \"1\"\n"
                         "vcs = { type = \"git\", url = \"https://example.org/a.git\", requested-revision = \"main\", commit-id = \"4f2b1c9e\" }\n"
                         "[[packages]]\nname = \"a\"\nversion = \"2\"\ndirectory = { path = \"a\" }\n");
  auto twice = p.import("pylock.toml", linux());
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("`a` is listed twice for the target (also at line 3)") != std::string::npos);
}

TEST_CASE("pylock.toml: pip's test lockfiles") {
  auto corpus = test::corpus_dir("pip_test_data");
  if (!corpus) {
    MLPACK_SKIP("../shared/corpora/pip_test_data is absent");
    return;
  }
  const auto dir = *corpus / "lockfiles";
  const auto packages = (*corpus / "packages").lexically_normal();
  auto import = [&](const char* name) { return detectors::import_lockfile(dir / name, dir, linux()); };

  auto lock = import("pylock.toml");
  REQUIRE_MESSAGE(lock, lock.error().message);
  CHECK(names(*lock) == Names{"simple==2.0", "simple2==", "simplewheel==2.0"});
  const auto* simple = find(*lock, "simple");
  REQUIRE(simple->files.size() == 1);
  CHECK(simple->files[0].filename == "simple-2.0.tar.gz");
  CHECK(simple->files[0].path == (packages / "simple-2.0.tar.gz").string());
  CHECK(simple->files[0].url.empty());
  CHECK(simple->files[0].sha256 == "3a084929238d13bcd3bb928af04f3bac7ca2357d419e29f01459dc848e2d69a4");
  const auto* simple2 = find(*lock, "simple2");
  CHECK(simple2->source == LockedSource::archive);
  CHECK(simple2->files.at(0).filename == "simple2-3.0.tar.gz");

  for (const char* name : {"pylock.certifi-with-upload_time.toml", "pylock.certifi-without-upload_time.toml"}) {
    auto certifi = import(name);
    REQUIRE_MESSAGE(certifi, certifi.error().message);
    REQUIRE(certifi->distributions.size() == 1);
    CHECK(certifi->distributions[0].files.size() == 2);
    CHECK(certifi->distributions[0].files[1].filename == "certifi-2026.6.17-py3-none-any.whl");
    CHECK(certifi->distributions[0].files[1].size == 133289);
  }

  auto directory = import("pylock.directory.toml");
  REQUIRE_MESSAGE(directory, directory.error().message);
  REQUIRE(directory->distributions.size() == 2);
  CHECK(directory->distributions[0].source == LockedSource::directory);
  CHECK(directory->distributions[0].editable);
  CHECK(directory->distributions[0].directory == (*corpus / "src" / "simplewheel-2.0").lexically_normal().string());
  CHECK_FALSE(directory->distributions[1].editable);

  auto mixed = import("pylock.mixed.toml");
  REQUIRE(mixed);
  CHECK(mixed->distributions.size() == 2);

  auto prerelease = import("pylock.prerelease-archive.toml");
  REQUIRE(prerelease);
  CHECK(prerelease->distributions.at(0).files.at(0).filename == "pkg_prerelease-1.0a1-py3-none-any.whl");
  for (const char* name : {"pylock.onearchive.toml", "pylock.onesdist.toml", "pylock.onewheel.toml", "pylock.prerelease-wheel.toml"})
    CHECK_MESSAGE(import(name), name);

  // The hash does not match the file, which only the download can tell; the import takes it.
  CHECK(import("pylock.invalidhash.toml"));

  auto invalid = import("pylock.invalid.toml");
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().kind == util::ErrorKind::invalid_input);
  CHECK(invalid.error().message == "pylock.invalid.toml:1: no `lock-version` (PEP 751 requires `lock-version = \"1.0\"`)");

  auto old = import("pylock.oldpython.toml");
  REQUIRE_FALSE(old);
  CHECK(old.error().kind == util::ErrorKind::unsatisfiable);
  CHECK(old.error().message == "pylock.oldpython.toml:3: the lock is for Python `==3.6.*`, which excludes the target's Python");
}

TEST_CASE("lockfile names and unknown files") {
  CHECK(detectors::lockfile_names() == Names{"pylock.toml", "uv.lock", "poetry.lock", "Pipfile.lock"});
  Project p;
  p.write("requirements.lock", "x==1\n");
  auto other = p.import("requirements.lock", linux());
  REQUIRE_FALSE(other);
  CHECK(other.error().kind == util::ErrorKind::invalid_input);
  auto missing = p.import("uv.lock", linux());
  REQUIRE_FALSE(missing);
}

// --- Pipfile without its lock (issue 15 item 8) -----------------------------------------------------

namespace {

util::Result<detectors::Pipfile> pipfile_of(Project& p, const std::string& text) {
  p.write("Pipfile", text);
  return detectors::parse_pipfile("Pipfile", p.dir.path());
}

std::string pipfile_error(Project& p, const std::string& text) {
  auto r = pipfile_of(p, text);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  return r.error().message;
}

}  // namespace

TEST_CASE("Pipfile: [packages] and [dev-packages] as pipenv reads them") {
  Project p;
  REQUIRE(util::make_dirs(p.dir.path() / "wheels"));
  p.write("wheels/local_pkg-1.0-py3-none-any.whl", "w");
  auto r = pipfile_of(p, R"([[source]]
url = "https://pypi.example.com/simple"
verify_ssl = true
name = "main"

[[source]]
url = "https://extra.example.com/simple"
name = "extra"

[packages]
numpy = "*"
pandas = "==2.2.0"
scipy = {version = ">=1.11"}
requests = {extras = ["socks", "security"], version = "~=2.31"}
attrs = "23.1"
pywin32 = {version = "*", sys_platform = "== 'win32'"}
uvloop = {version = "*", markers = "sys_platform != 'win32'", os_name = "== 'posix'"}
mylib = {git = "https://github.com/o/mylib.git", ref = "v1.0"}
other = {git = "git+ssh://git@github.com/o/other.git", subdirectory = "pkg"}
local-pkg = {path = "./wheels/local_pkg-1.0-py3-none-any.whl"}
remote = {file = "https://example.com/remote-1.0-py3-none-any.whl"}
private = {version = "*", index = "extra"}

[dev-packages]
pytest = ">=8"

[requires]
python_version = "3.11"
)");
  REQUIRE_MESSAGE(r, r.error().message);
  const auto& f = r->requirements;
  CHECK(f.files == std::vector<std::string>{"Pipfile"});
  CHECK(f.index_url_set);
  CHECK(f.index_urls == std::vector<std::string>{"https://pypi.example.com/simple", "https://extra.example.com/simple"});
  REQUIRE(f.requirements.size() == 13);
  std::vector<std::string> got;
  for (const auto& req : f.requirements) got.push_back(req.requirement.str());
  CHECK(got == std::vector<std::string>{
                   "numpy",
                   "pandas==2.2.0",
                   "scipy>=1.11",
                   "requests[security,socks]~=2.31",
                   "attrs==23.1",
                   "pywin32; sys_platform == \"win32\"",
                   "uvloop; sys_platform != \"win32\" and os_name == \"posix\"",
                   "mylib @ git+https://github.com/o/mylib.git@v1.0",
                   "other @ git+ssh://git@github.com/o/other.git#subdirectory=pkg",
                   "local-pkg @ file://" + (p.dir.path() / "wheels/local_pkg-1.0-py3-none-any.whl").string(),
                   "remote @ https://example.com/remote-1.0-py3-none-any.whl",
                   "private",
                   "pytest>=8",
               });
  CHECK(f.requirements[0].file == "Pipfile");
  CHECK(f.requirements[0].line == 11);  // in the order written, not toml++'s by name
  CHECK(f.requirements[9].path == (p.dir.path() / "wheels/local_pkg-1.0-py3-none-any.whl").string());
  for (std::size_t i = 0; i + 1 < f.requirements.size(); ++i) CHECK(f.requirements[i].group.empty());
  CHECK(f.requirements.back().group == "dev");
  CHECK(r->python_version == "3.11");
  CHECK(r->python_version_line == 28);

  CHECK(detectors::selects_pipfile_dev("dev"));
  CHECK(detectors::selects_pipfile_dev("Develop"));
  CHECK(detectors::selects_pipfile_dev("dev_packages"));
  CHECK_FALSE(detectors::selects_pipfile_dev("docs"));
}

TEST_CASE("Pipfile: no sources means PyPI; python_full_version gives X.Y") {
  Project p;
  auto r = pipfile_of(p, "[packages]\nflask = \"*\"\n[requires]\npython_full_version = \"3.12.1\"\n");
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK_FALSE(r->requirements.index_url_set);
  CHECK(r->requirements.index_urls.empty());
  CHECK(r->python_version == "3.12");
  auto empty = pipfile_of(p, "");
  REQUIRE(empty);
  CHECK(empty->requirements.requirements.empty());
  CHECK_FALSE(empty->python_version);
}

TEST_CASE("Pipfile: what pipenv would refuse names file, line and column") {
  Project p;
  CHECK(pipfile_error(p, "[packages]\nnumpy = \n").starts_with("Pipfile:2:"));
  CHECK(pipfile_error(p, "[packages]\nnumpy = 3\n") ==
        "Pipfile:2:9: `[packages]` `numpy` must be a version string or a table");
  CHECK(pipfile_error(p, "[packages]\nnumpy = \">>1\"\n")
            .starts_with("Pipfile:2:9: `[packages]` `numpy`: invalid requirement `numpy>>1`"));
  CHECK(pipfile_error(p, "[dev-packages]\nx = {extras = \"a\"}\n") ==
        "Pipfile:2:15: `[dev-packages]` `x`'s `extras` must be a list of strings");
  CHECK(pipfile_error(p, "[packages]\n\"not valid!\" = \"*\"\n") ==
        "Pipfile:2:16: `[packages]` `not valid!` is not a valid project name");
  CHECK(pipfile_error(p, "[packages]\nx = {version = \"*\", index = \"nowhere\"}\n") ==
        "Pipfile:2:29: `[packages]` `x`'s `index` `nowhere` is not a `[[source]]` name");
  CHECK(pipfile_error(p, "[packages]\nx = {path = \"./missing-1.0-py3-none-any.whl\"}\n") ==
        "Pipfile:2:13: `[packages]` `x`'s `path` `./missing-1.0-py3-none-any.whl`: no such file or directory");
  CHECK(pipfile_error(p, "[packages]\nx = {version = \"1.0\", git = \"https://g/x.git\"}\n")
            .starts_with("Pipfile:2:5: `[packages]` `x` has both a version and"));
  CHECK(pipfile_error(p, "[requires]\npython_version = \"three\"\n") ==
        "Pipfile:2:18: `[requires]` python version `three` is not X.Y or X.Y.Z");
  CHECK(pipfile_error(p, "[[source]]\nname = \"x\"\n").starts_with("Pipfile:1:"));
}

TEST_CASE("Pipfile: a path outside the project is refused") {
  Project outside;
  outside.write("evil-1.0-py3-none-any.whl", "w");
  Project p;
  auto message = pipfile_error(
      p, "[packages]\nevil = {path = \"" + (outside.dir.path() / "evil-1.0-py3-none-any.whl").string() + "\"}\n");
  CHECK(message.starts_with("Pipfile:2:16: "));
  CHECK(message.find("outside the project") != std::string::npos);
}
