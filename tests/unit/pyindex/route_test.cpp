// IndexRoute: projects served only from given indexes, each version from the first that has it.
#include <doctest/doctest.h>

#include "fake_index.hpp"
#include "pyindex/index.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using pyindex::IndexClient;
using pyindex::IndexOptions;
using test::FakeIndex;

namespace {

struct Fixture {
  util::TempDir tmp = *util::TempDir::create();
  test::FakeClock clock;
  FakeIndex server;
  IndexOptions options() {
    IndexOptions o;
    o.index_urls = {"https://pypi.test/simple"};
    o.cache_dir = tmp.path() / "cache";
    o.netrc = tmp.path() / "no-netrc";
    o.clock = &clock;
    return o;
  }
};

std::vector<std::string> names(const std::vector<pyindex::DistFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.filename);
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a routed project comes from its route's indexes only, each version from the first that has it") {
  // PyPI has torch too: never used for a routed name. Find-links are not used for it either.
  server.page("/simple/torch/", "<a href=\"/pypi/torch-2.3.1-py3-none-any.whl\">x</a>");
  server.page("/simple/numpy/", "<a href=\"/pypi/numpy-2.0-py3-none-any.whl\">x</a>");
  server.page("/whl/cu124/torch/",
              "<a href=\"/whl/cu124/torch-2.4.0%2Bcu124-cp312-cp312-linux_x86_64.whl#sha256=aa\">torch-2.4.0+cu124-cp312-cp312-linux_x86_64.whl</a>"
              "<a href=\"/whl/cu124/torch-2.3.1%2Bcu124-cp312-cp312-linux_aarch64.whl\">x</a>");
  server.page("/whl/cu121/torch/",
              "<a href=\"/whl/cu121/torch-2.4.0%2Bcu121-cp312-cp312-linux_x86_64.whl\">x</a>"
              "<a href=\"/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl\">x</a>"
              "<a href=\"/whl/cu121/torch-2.2.0%2Bcu121.tar.gz\">x</a>");
  auto o = options();
  o.routes.push_back({{"torch", "torchvision"},
                      {"https://pypi.test/whl/cu124", "https://pypi.test/whl/cu121/"},
                      [](const pyindex::DistFile& f) { return f.filename.find("x86_64") != std::string::npos; },
                      true,
                      ""});
  // As download.pytorch.org does for a project a backend lacks.
  server.resources["/whl/cu124/torchvision/"] = {"<Error>AccessDenied</Error>", "application/xml", std::nullopt, 403};
  IndexClient client(server.http, o);
  auto torch = *client.project_files("Torch");
  // 2.4.0 from cu124 (the first that has it); 2.3.1 from cu121 (cu124's only file does not count);
  // 2.2.0 has no file that counts anywhere: kept from the first index listing it, for explanations.
  CHECK(names(torch) == std::vector<std::string>{"torch-2.4.0+cu124-cp312-cp312-linux_x86_64.whl",
                                                 "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl",
                                                 "torch-2.2.0+cu121.tar.gz"});
  CHECK(torch[0].index == "https://pypi.test/whl/cu124/");
  CHECK(torch[0].hashes.at("sha256") == "aa");
  CHECK(torch[1].index == "https://pypi.test/whl/cu121/");
  // A routed name no route index has is an empty list, not PyPI's.
  CHECK(client.project_files("torchvision")->empty());
  // Other names are untouched.
  CHECK(names(*client.project_files("numpy")) == std::vector<std::string>{"numpy-2.0-py3-none-any.whl"});
}

TEST_CASE_FIXTURE(Fixture, "a route with no index fails with its reason") {
  auto o = options();
  o.routes.push_back({{"torch"}, {}, nullptr, false, "CUDA 12.0 has no PyTorch backend index"});
  IndexClient client(server.http, o);
  auto r = client.project_files("torch");
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::unsatisfiable);
  CHECK(r.error().message == "CUDA 12.0 has no PyTorch backend index");
}

TEST_CASE_FIXTURE(Fixture, "403 is an error on a route that does not say it means missing") {
  server.resources["/whl/cu121/torch/"] = {"denied", "application/xml", std::nullopt, 403};
  auto o = options();
  o.routes.push_back({{"torch"}, {"https://pypi.test/whl/cu121"}, nullptr, false, ""});
  IndexClient client(server.http, o);
  auto r = client.project_files("torch");
  REQUIRE(!r);
  CHECK(r.error().message.find("403") != std::string::npos);
}
