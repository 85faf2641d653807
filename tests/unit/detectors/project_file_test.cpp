// The one rule for project files (issue 15): inside the project's real path, regular, bounded;
// and the one rule for quoting what they say.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "detectors/apt_txt.hpp"
#include "detectors/entrypoint.hpp"
#include "detectors/ignore.hpp"
#include "detectors/project_config.hpp"
#include "detectors/project_file.hpp"
#include "detectors/python_version.hpp"
#include "detectors/requirements.hpp"
#include "test_files.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

using namespace mlpack;
using util::ErrorKind;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  util::TempDir tmp = util::TempDir::create().value();
  fs::path root = tmp.path() / "project";
  fs::path outside = tmp.path() / "outside.txt";
  Fixture() {
    fs::create_directories(root);
    test::write_text(outside, "SECRET=hunter2\n");
  }
};

}  // namespace

TEST_CASE("read_project_file: a file inside the project, directly or through an inner link") {
  Fixture f;
  test::write_text(f.root / "dir" / "a.txt", "hello\n");
  fs::create_symlink("dir/a.txt", f.root / "link.txt");
  CHECK(detectors::read_project_file(f.root / "dir" / "a.txt", f.root, 100).value() == "hello\n");
  CHECK(detectors::read_project_file(f.root / "link.txt", f.root, 100).value() == "hello\n");
  auto info = detectors::check_project_file(f.root / "link.txt", f.root).value();
  CHECK(info.size == 6);
  CHECK(info.real == fs::canonical(f.root / "dir" / "a.txt"));
}

TEST_CASE("read_project_file: outside the project, by path or by link, is invalid input, never read") {
  Fixture f;
  fs::create_symlink(f.outside, f.root / "requirements.txt");
  fs::create_directories(f.root / "sub");
  fs::create_symlink("../..", f.root / "sub" / "up");
  for (const auto& p : {f.root / ".." / "outside.txt", fs::path("/proc/self/environ"), f.root / "requirements.txt",
                        f.root / "sub" / "up" / "outside.txt"}) {
    auto r = detectors::read_project_file(p, f.root, 1 << 20);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find("outside the project") != std::string::npos);
    CHECK(r.error().message.find("hunter2") == std::string::npos);
  }
  // The reference is named as the caller shows it.
  auto r = detectors::read_project_file("/proc/self/environ", f.root, 1 << 20, "/proc/self/environ");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.starts_with("`/proc/self/environ` is outside the project"));
}

TEST_CASE("read_project_file: only regular files; a FIFO is refused without waiting for a writer") {
  Fixture f;
  REQUIRE(::mkfifo((f.root / "mlpack.yaml").c_str(), 0600) == 0);
  auto r = detectors::read_project_file(f.root / "mlpack.yaml", f.root, 1 << 20);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::invalid_input);
  CHECK(r.error().message == "`mlpack.yaml` is a FIFO; mlpack reads only regular files from a project");
  CHECK(detectors::project_file_present(f.root / "mlpack.yaml"));
  auto c = detectors::read_project_config(f.root, {});
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().kind == ErrorKind::invalid_input);

  fs::create_directories(f.root / "dir");
  CHECK_FALSE(detectors::project_file_present(f.root / "dir"));
  CHECK(detectors::read_project_file(f.root / "dir", f.root, 10).error().kind == ErrorKind::invalid_input);
  CHECK(detectors::read_project_file(f.root / "missing", f.root, 10).error().kind == ErrorKind::not_found);
  fs::create_symlink("missing", f.root / "dangling");
  CHECK_FALSE(detectors::project_file_present(f.root / "dangling"));
}

TEST_CASE("read_project_file: over the bound is invalid input naming the file and the bound") {
  Fixture f;
  test::write_text(f.root / "runtime.txt", std::string(2000, '#'));
  auto r = detectors::read_project_file(f.root / "runtime.txt", f.root, 1024);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::invalid_input);
  CHECK(r.error().message == "`runtime.txt` is 2.0 KiB; mlpack reads a file of this kind up to 1.0 KiB");
  CHECK(detectors::read_project_file(f.root / "runtime.txt", f.root, 2000).value().size() == 2000);
}

TEST_CASE("every detector reads its files through the rule") {
  Fixture f;
  for (const char* name : {"requirements.txt", "runtime.txt", "apt.txt", "Procfile", "mlpack.yaml", ".dockerignore"})
    fs::create_symlink(f.outside, f.root / name);
  // The outside file's content would not parse either: what tells the rule's refusal apart is
  // the message, which names the file and never its content.
  auto refused = [](const util::Error& e, std::string_view name) {
    CHECK(e.kind == ErrorKind::invalid_input);
    CHECK_MESSAGE(e.message.find("`" + std::string(name) + "` is outside the project") != std::string::npos, e.message);
    CHECK(e.message.find("hunter2") == std::string::npos);
  };
  refused(detectors::parse_requirements_file(f.root / "requirements.txt", f.root).error(), "requirements.txt");
  refused(detectors::read_python_version(f.root, f.root).error(), "runtime.txt");
  refused(detectors::read_apt_txt(f.root).error(), "apt.txt");
  refused(detectors::read_procfile(f.root).error(), "Procfile");
  refused(detectors::read_project_config(f.root, {}).error(), "mlpack.yaml");
  refused(detectors::ProjectFilter::load(f.root, {}).error(), ".dockerignore");

  // An include is named as its line writes it.
  fs::remove(f.root / "requirements.txt");
  test::write_text(f.root / "requirements.txt", "six\n-r ../outside.txt\n");
  auto inc = detectors::parse_requirements_file(f.root / "requirements.txt", f.root);
  REQUIRE_FALSE(inc.has_value());
  CHECK(inc.error().kind == ErrorKind::invalid_input);
  CHECK(inc.error().message.starts_with("requirements.txt:2: cannot include: `../outside.txt` is outside the project"));
}

TEST_CASE("./start must be the project's own file too") {
  Fixture f;
  ::chmod(f.outside.c_str(), 0755);
  fs::create_symlink(f.outside, f.root / "start");
  CHECK(detectors::default_command(f.root).error().kind == ErrorKind::invalid_input);
}

TEST_CASE("quote_text: control characters, NUL and non-UTF-8 escaped; long text cut") {
  using detectors::quote_text;
  CHECK(quote_text("numpy>=1") == "`numpy>=1`");
  CHECK(quote_text(std::string_view("a\0b\x1b[31m\t\n\r\x7f", 12)) == "`a\\x00b\\x1b[31m\\t\\n\\r\\x7f`");
  CHECK(quote_text("caf\xc3\xa9 \xff \xc2\x9b x\xe2\x80\xae") == "`caf\xc3\xa9 \\xff \\u{9b} x\\u{202e}`");
  auto long_text = quote_text(std::string(5000, 'x'));
  CHECK(long_text.size() < 220);
  CHECK(long_text.ends_with("…`"));
  CHECK(util::printable_excerpt(std::string(200, 'x')) == std::string(200, 'x'));
}

TEST_CASE("a requirement line with control characters is quoted escaped and cut") {
  Fixture f;
  test::write_text(f.root / "requirements.txt", "bad\x1b]0;title\x07 " + std::string(4000, 'y') + "\n");
  auto r = detectors::parse_requirements_file(f.root / "requirements.txt", f.root);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find('\x1b') == std::string::npos);
  CHECK(r.error().message.find('\x07') == std::string::npos);
  CHECK(r.error().message.size() < 1000);
}

TEST_CASE("ignore files: a FIFO or a link out of the project, at any depth, is refused") {
  Fixture f;
  fs::create_directories(f.root / "sub");
  REQUIRE(::mkfifo((f.root / "sub" / ".gitignore").c_str(), 0600) == 0);
  auto r = detectors::ProjectFilter::load(f.root, {});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::invalid_input);
  CHECK(r.error().message == "reading the ignore file: `sub/.gitignore` is a FIFO; mlpack reads only regular files from a project");
  fs::remove(f.root / "sub" / ".gitignore");
  fs::create_symlink(f.outside, f.root / "sub" / ".gitignore");
  auto l = detectors::ProjectFilter::load(f.root, {});
  REQUIRE_FALSE(l.has_value());
  CHECK(l.error().message.find("`sub/.gitignore` is outside the project") != std::string::npos);
}
