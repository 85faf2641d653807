// What debian-base learns from a registry base image's files (image::FileView built in memory).
#include <doctest/doctest.h>

#include <algorithm>

#include "buildpacks/debian_base/base_image.hpp"

using namespace mlpack;
using namespace mlpack::buildpacks::debian_base;
using Type = image::FileInfo::Type;

namespace {

struct ViewBuilder {
  image::FileView view;

  ViewBuilder& file(const std::string& path, std::string text, std::uint32_t mode = 0644, std::uint32_t uid = 0,
                    std::uint32_t gid = 0) {
    view.files[path] = {Type::file, mode, text.size(), "", uid, gid};
    view.contents[path] = std::move(text);
    return *this;
  }
  // A file whose bytes were not kept (not requested).
  ViewBuilder& info(const std::string& path, Type type, std::string link = "", std::uint64_t size = 0) {
    view.files[path] = {type, type == Type::dir ? 0755u : 0644u, size, std::move(link)};
    return *this;
  }
};

const std::string bookworm = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_CODENAME=bookworm\n";
const std::string status =
    "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9+deb12u4\n\n"
    "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n";

}  // namespace

TEST_CASE("base image: what debian-base asks the file view for") {
  const auto& wanted = base_files_wanted();
  for (const char* path : {"etc/os-release", "usr/lib/os-release", "var/lib/dpkg/status", "etc/passwd", "etc/group",
                           "etc/shadow"})
    CHECK(std::find(wanted.paths.begin(), wanted.paths.end(), path) != wanted.paths.end());
  CHECK(wanted.limit >= account_file_limit);
  CHECK(wanted.limit == 256u << 20);
}

TEST_CASE("base image: release, packages, usrmerge and interpreters") {
  ViewBuilder b;
  b.info("bin", Type::symlink, "usr/bin")
      .info("usr", Type::dir)
      .info("usr/bin", Type::dir)
      .info("usr/local", Type::dir)
      .info("usr/local/bin", Type::dir)
      .file("etc/os-release", bookworm)
      .file("var/lib/dpkg/status", status)
      .info("usr/local/bin/python3.12", Type::file, "", 1000)
      .info("usr/bin/python3.11", Type::symlink, "python3.11-real")
      .info("usr/bin/python3", Type::symlink, "python3.11")
      .info("usr/bin/python3.11-config", Type::file)
      .info("usr/bin/python3.10", Type::dir);
  auto base = inspect_base(b.view);
  REQUIRE_MESSAGE(base, base.error().message);
  CHECK(base->distribution == "debian:bookworm");
  CHECK(base->os_id == "debian");
  CHECK(base->usrmerged);
  CHECK(base->pythons == std::vector<std::string>{"/usr/bin/python3.11", "/usr/local/bin/python3.12"});
  REQUIRE(base->installed.size() == 1);
  CHECK(base->installed[0].name == "libc6");
  CHECK(base->installed[0].version == "2.36-9+deb12u4");
  CHECK(base->accounts.dirs.contains("usr/local/bin"));
  CHECK_FALSE(base->accounts.dirs.contains("bin"));
  CHECK_FALSE(base->accounts.passwd);
  CHECK_FALSE(base->accounts.unreadable);
}

TEST_CASE("base image: os-release through the link Debian ships, and bases that are not Debian") {
  ViewBuilder linked;
  linked.info("etc/os-release", Type::symlink, "../usr/lib/os-release").file("usr/lib/os-release", bookworm);
  auto base = inspect_base(linked.view);
  REQUIRE(base);
  CHECK(base->distribution == "debian:bookworm");
  CHECK_FALSE(base->usrmerged);
  CHECK(base->installed.empty());

  // usr/lib/os-release alone, with no link in /etc, is not read.
  ViewBuilder unlinked;
  unlinked.file("usr/lib/os-release", bookworm);
  CHECK(inspect_base(unlinked.view)->distribution.empty());

  ViewBuilder alpine;
  alpine.file("etc/os-release", "ID=alpine\nVERSION_ID=3.19.0\n").info("bin", Type::dir);
  auto a = inspect_base(alpine.view);
  REQUIRE(a);
  CHECK(a->os_id == "alpine");
  CHECK(a->distribution.empty());
  CHECK_FALSE(a->usrmerged);

  ViewBuilder no_codename;
  no_codename.file("etc/os-release", "ID=debian\n");
  CHECK(inspect_base(no_codename.view)->distribution.empty());
}

TEST_CASE("base image: account files with their modes and owners; links and huge files are left alone") {
  ViewBuilder b;
  b.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
      .file("etc/shadow", "root:*:19000:0:99999:7:::\n", 0640, 0, 42)
      .info("home", Type::dir);
  auto base = inspect_base(b.view);
  REQUIRE(base);
  REQUIRE(base->accounts.passwd);
  CHECK(base->accounts.passwd->text == "root:x:0:0:root:/root:/bin/bash\n");
  CHECK(base->accounts.passwd->mode == 0644);
  REQUIRE(base->accounts.shadow);
  CHECK(base->accounts.shadow->mode == 0640);
  CHECK(base->accounts.shadow->gid == 42);
  CHECK_FALSE(base->accounts.group);
  CHECK_FALSE(base->accounts.unreadable);
  CHECK(base->accounts.dirs == std::set<std::string>{"home"});

  ViewBuilder linked;
  linked.file("etc/passwd", "root:x:0:0::/root:/bin/sh\n").info("etc/group", Type::symlink, "/data/group");
  auto l = inspect_base(linked.view);
  REQUIRE(l);
  CHECK(l->accounts.unreadable);
  CHECK_FALSE(l->accounts.group);

  ViewBuilder huge;
  huge.file("etc/group", std::string(account_file_limit + 1, '#'));
  auto h = inspect_base(huge.view);
  REQUIRE(h);
  CHECK(h->accounts.unreadable);
  CHECK_FALSE(h->accounts.group);

  ViewBuilder folder;
  folder.info("etc/shadow", Type::dir);
  auto f = inspect_base(folder.view);
  REQUIRE(f);
  CHECK_FALSE(f->accounts.unreadable);
  CHECK_FALSE(f->accounts.shadow);
}

TEST_CASE("base image: a malformed dpkg status is an error naming it") {
  ViewBuilder b;
  b.file("var/lib/dpkg/status", "Package libc6 without a colon\n");
  auto base = inspect_base(b.view);
  REQUIRE_FALSE(base);
  CHECK(base.error().message.find("base image /var/lib/dpkg/status") != std::string::npos);
}

TEST_CASE("python interpreter paths") {
  CHECK(is_python_interpreter_path("usr/local/bin/python3.12"));
  CHECK(is_python_interpreter_path("usr/bin/python3.11"));
  CHECK(is_python_interpreter_path("bin/python3.9"));
  CHECK_FALSE(is_python_interpreter_path("usr/bin/python3"));
  CHECK_FALSE(is_python_interpreter_path("usr/bin/python3.11-config"));
  CHECK_FALSE(is_python_interpreter_path("usr/bin/python3.11.2"));
  CHECK_FALSE(is_python_interpreter_path("opt/bin/python3.11"));
}
