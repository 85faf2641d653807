// What the wheel installer adds to the zip reader's errors (the reader itself is tested in
// tests/unit/archive/zip_test.cpp).
#include "archive/zip_builder.hpp"
#include "wheel_test_util.hpp"

using namespace wheel_test;
using namespace zip_test;

namespace {
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("install_wheel names the wheel when its zip is refused") {
  auto dir = temp_dir();
  WheelSpec spec{.members = {{"demo/__init__.py", "x = 1\n"}}};
  std::vector<RawMember> raw;
  for (const auto& z : wheel_members(spec)) raw.push_back({.name = z.name, .content = z.content});
  SUBCASE("an unsupported method") { raw[0].method = 14; }  // lzma
  SUBCASE("a declared size that lies") {
    raw[0].cd_size = raw[0].content.size() + 1;
    raw[0].descriptor = true;
  }
  auto path = dir.path() / spec.filename();
  REQUIRE(util::write_file_atomic(path, build_zip(raw)));
  auto r = wheel::install_wheel(path, sha256_of_file(path), wheel::VenvLayout{});
  REQUIRE_FALSE(r);
  CHECK(has(r.error().message, "`demo-1.0-py3-none-any.whl`"));
  CHECK(has(r.error().message, "demo/__init__.py"));
}
