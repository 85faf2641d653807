// The accounts layer that gives a registry base image the user the image runs as (uid 1000, `app`).
#include <doctest/doctest.h>

#include "buildpacks/debian_base/accounts.hpp"

using namespace mlpack;
using namespace mlpack::buildpacks::debian_base;

namespace {

const archive::Entry* entry(const AccountsLayer& layer, std::string_view path) {
  for (const auto& e : layer.entries)
    if (e.path == path) return &e;
  return nullptr;
}

const std::string debian_passwd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const std::string debian_group = "root:x:0:\nshadow:x:42:\nnogroup:x:65534:\n";
const std::string debian_shadow = "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n";

BaseAccounts python_slim() {
  BaseAccounts base;
  base.passwd = AccountFile{debian_passwd, 0644, 0, 0};
  base.group = AccountFile{debian_group, 0644, 0, 0};
  base.shadow = AccountFile{debian_shadow, 0640, 0, 42};
  base.dirs = {"etc", "home", "root", "usr", "usr/bin"};
  return base;
}

}  // namespace

TEST_CASE("mlpack's own core OS and the accounts layer write the same lines for app") {
  auto core = core_os_accounts();
  REQUIRE(core.size() == 3);
  CHECK(core[1].path == "etc/passwd");
  CHECK(core[1].data.ends_with("app:x:1000:1000:app:/home/app:/bin/sh\n"));
  CHECK(core[0].data.ends_with("app:x:1000:\n"));
  CHECK(core[2].data.ends_with("app:*:0:0:99999:7:::\n"));
  CHECK(core[2].mode == 0640);
  CHECK(app_passwd_line() == "app:x:1000:1000:app:/home/app:/bin/sh\n");
}

TEST_CASE("a base without the user gets app appended to its files, and a home") {
  auto layer = app_accounts_layer(python_slim());
  CHECK(layer.contents == "accounts: user app (1000)");
  const auto* passwd = entry(layer, "etc/passwd");
  REQUIRE(passwd);
  CHECK(passwd->data == debian_passwd + "app:x:1000:1000:app:/home/app:/bin/sh\n");
  CHECK(passwd->mode == 0644);
  CHECK(passwd->uid == 0);
  const auto* group = entry(layer, "etc/group");
  REQUIRE(group);
  CHECK(group->data == debian_group + "app:x:1000:\n");
  const auto* shadow = entry(layer, "etc/shadow");
  REQUIRE(shadow);
  CHECK(shadow->data == debian_shadow + "app:*:0:0:99999:7:::\n");
  CHECK(shadow->mode == 0640);  // the base's mode and owner, root:shadow
  CHECK(shadow->uid == 0);
  CHECK(shadow->gid == 42);
  const auto* home = entry(layer, "home/app");
  REQUIRE(home);
  CHECK(home->type == archive::EntryType::directory);
  CHECK(home->mode == 0755);
  CHECK(home->uid == 1000);
  CHECK(home->gid == 1000);
  CHECK_FALSE(entry(layer, "home"));  // the base has it; its mode and owner stay
  CHECK_FALSE(entry(layer, "etc"));
  CHECK(layer.entries.size() == 4);

  SUBCASE("the same base gives the same layer") {
    auto again = app_accounts_layer(python_slim());
    REQUIRE(again.entries.size() == layer.entries.size());
    for (std::size_t i = 0; i < layer.entries.size(); ++i) {
      CHECK(again.entries[i].path == layer.entries[i].path);
      CHECK(again.entries[i].data == layer.entries[i].data);
    }
  }
}

TEST_CASE("a file without a final newline gets one before the appended line") {
  auto base = python_slim();
  base.passwd->text = "root:x:0:0:root:/root:/bin/sh";
  auto layer = app_accounts_layer(base);
  REQUIRE(entry(layer, "etc/passwd"));
  CHECK(entry(layer, "etc/passwd")->data == "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
}

TEST_CASE("a base that already has app changes nothing, or only gets the home") {
  auto base = python_slim();
  base.passwd->text += "app:x:1000:1000:app:/home/app:/bin/sh\n";
  base.group->text += "app:x:1000:\n";
  base.shadow->text += "app:*:0:0:99999:7:::\n";
  base.dirs.insert("home/app");
  CHECK(app_accounts_layer(base).entries.empty());
  CHECK(app_accounts_layer(base).contents.empty());

  base.dirs.erase("home/app");
  auto layer = app_accounts_layer(base);
  REQUIRE(layer.entries.size() == 1);
  CHECK(layer.entries[0].path == "home/app");
  CHECK(layer.entries[0].uid == 1000);
  CHECK(layer.contents == "accounts: home /home/app for user app (1000)");
}

TEST_CASE("uid 1000 under another name keeps its name; only its home is made") {
  auto base = python_slim();
  base.passwd->text += "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n";
  base.group->text += "ubuntu:x:1000:\n";
  auto layer = app_accounts_layer(base);
  CHECK_FALSE(entry(layer, "etc/passwd"));
  CHECK_FALSE(entry(layer, "etc/group"));
  CHECK_FALSE(entry(layer, "etc/shadow"));
  CHECK_FALSE(entry(layer, "home/app"));
  const auto* home = entry(layer, "home/ubuntu");
  REQUIRE(home);
  CHECK(home->uid == 1000);
  CHECK(home->gid == 1000);
  CHECK(layer.contents == "accounts: home /home/ubuntu for user ubuntu (1000)");

  SUBCASE("whose home exists: nothing to do") {
    base.dirs.insert("home/ubuntu");
    CHECK(app_accounts_layer(base).entries.empty());
  }
  SUBCASE("whose home is /nonexistent: nothing to do") {
    base.passwd->text = debian_passwd + "svc:x:1000:1000::/nonexistent:/usr/sbin/nologin\n";
    CHECK(app_accounts_layer(base).entries.empty());
  }
}

TEST_CASE("a user app with another uid is not added twice") {
  auto base = python_slim();
  base.passwd->text += "app:x:999:999::/srv/app:/bin/sh\n";
  base.dirs.insert("srv");
  auto layer = app_accounts_layer(base);
  CHECK_FALSE(entry(layer, "etc/passwd"));
  const auto* home = entry(layer, "srv/app");
  REQUIRE(home);
  CHECK(home->uid == 999);
}

TEST_CASE("a base without /etc/group gets one; without /etc/shadow gets none") {
  auto base = python_slim();
  base.group.reset();
  base.shadow.reset();
  auto layer = app_accounts_layer(base);
  REQUIRE(entry(layer, "etc/group"));
  CHECK(entry(layer, "etc/group")->data == "app:x:1000:\n");
  CHECK(entry(layer, "etc/group")->mode == 0644);
  CHECK_FALSE(entry(layer, "etc/shadow"));
  REQUIRE(entry(layer, "etc/passwd"));
}

TEST_CASE("a group 1000 that exists under another name is kept; passwd still gets app") {
  auto base = python_slim();
  base.group->text += "users1000:x:1000:\n";
  auto layer = app_accounts_layer(base);
  CHECK(entry(layer, "etc/passwd"));
  CHECK_FALSE(entry(layer, "etc/group"));
}

TEST_CASE("a base with no accounts and no /home gets the files, /etc and /home") {
  BaseAccounts base;
  auto layer = app_accounts_layer(base);
  REQUIRE(entry(layer, "etc"));
  CHECK(entry(layer, "etc")->mode == 0755);
  REQUIRE(entry(layer, "home"));
  CHECK(entry(layer, "home")->uid == 0);
  REQUIRE(entry(layer, "home/app"));
  CHECK(entry(layer, "etc/passwd")->data == "app:x:1000:1000:app:/home/app:/bin/sh\n");
  CHECK(entry(layer, "etc/group")->data == "app:x:1000:\n");
  CHECK_FALSE(entry(layer, "etc/shadow"));
}

TEST_CASE("account files that could not be read as lists are left alone") {
  auto base = python_slim();
  base.unreadable = true;
  CHECK(app_accounts_layer(base).entries.empty());
}
