#include "buildpacks/debian_base/accounts.hpp"

#include "archive/entry.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::debian_base {

namespace {

// One line of /etc/passwd or /etc/group: "name:password:id:…". Comments, NIS "+" lines and
// malformed lines are nobody.
struct Account {
  std::string name;
  std::optional<long> id;  // uid (passwd) or gid (group)
  std::optional<long> gid;  // passwd only
  std::string home;         // passwd only
};

std::optional<long> number(const std::string& s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stol(s);
}

std::vector<Account> parse_accounts(const std::string& text) {
  std::vector<Account> out;
  for (const auto& line : util::split(text, '\n')) {
    if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') continue;
    auto fields = util::split(line, ':');
    if (fields.size() < 3 || fields[0].empty()) continue;
    Account a{fields[0], number(fields[2]), std::nullopt, ""};
    if (fields.size() >= 4) a.gid = number(fields[3]);
    if (fields.size() >= 6) a.home = fields[5];
    out.push_back(std::move(a));
  }
  return out;
}

const Account* find(const std::vector<Account>& accounts, std::string_view name, long id) {
  for (const auto& a : accounts)
    if (a.id == id) return &a;
  for (const auto& a : accounts)
    if (a.name == name) return &a;
  return nullptr;
}

// The base's text with `line` appended, on a line of its own.
std::string appended(std::string text, const std::string& line) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text + line;
}

// "/home/app" → "home/app"; "" for a home that is not a directory to make ("/", "/nonexistent",
// relative or climbing paths).
std::string home_to_make(const std::string& home) {
  if (!home.starts_with('/') || home == "/" || home.starts_with("/nonexistent")) return "";
  std::string rel = home.substr(1);
  while (rel.ends_with('/')) rel.pop_back();
  for (const auto& part : util::split(rel, '/'))
    if (part.empty() || part == "." || part == "..") return "";
  return rel;
}

}  // namespace

std::string app_passwd_line() {
  std::string uid = std::to_string(app_uid), user(app_user);
  return user + ":x:" + uid + ":" + uid + ":" + user + ":/home/" + user + ":/bin/sh\n";
}

std::string app_group_line() { return std::string(app_user) + ":x:" + std::to_string(app_uid) + ":\n"; }

std::string app_shadow_line() { return std::string(app_user) + ":*:0:0:99999:7:::\n"; }

std::vector<archive::Entry> core_os_accounts() {
  std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\n"
      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
      app_passwd_line();
  std::string group =
      "root:x:0:\n"
      "daemon:x:1:\n"
      "tty:x:5:\n"
      "staff:x:50:\n"
      "nogroup:x:65534:\n" +
      app_group_line();
  std::string shadow = "root:*:0:0:99999:7:::\ndaemon:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n" + app_shadow_line();
  std::vector<archive::Entry> out;
  out.push_back(archive::file_entry("etc/group", group, 0644));
  out.push_back(archive::file_entry("etc/passwd", passwd, 0644));
  out.push_back(archive::file_entry("etc/shadow", shadow, 0640));
  return out;
}

AccountsLayer app_accounts_layer(const BaseAccounts& base) {
  AccountsLayer out;
  if (base.unreadable) return out;
  auto users = parse_accounts(base.passwd ? base.passwd->text : "");
  std::string home = "home/" + std::string(app_user);
  std::uint32_t home_uid = app_uid, home_gid = app_uid;
  std::vector<archive::Entry> files;
  if (const Account* existing = find(users, app_user, app_uid)) {
    // The base already names uid 1000 (under any name), or has a user `app`: a second line for
    // either would make `id -un` and getpwuid() depend on which line comes first, so passwd,
    // group and shadow stay as the base has them, and only the user's home is made sure of.
    // (An `app` with another uid leaves uid 1000 nameless; the image still runs as 1000.)
    home = home_to_make(existing->home);
    home_uid = static_cast<std::uint32_t>(existing->id.value_or(app_uid));
    home_gid = static_cast<std::uint32_t>(existing->gid.value_or(home_uid));
    out.contents = "accounts: home /" + home + " for user " + existing->name + " (" + std::to_string(home_uid) + ")";
  } else {
    AccountFile passwd = base.passwd.value_or(AccountFile{});
    files.push_back(archive::file_entry("etc/passwd", appended(passwd.text, app_passwd_line()), passwd.mode, passwd.uid, passwd.gid));
    // A base without /etc/group gets one: the user's primary group needs a name too.
    AccountFile group = base.group.value_or(AccountFile{});
    if (!find(parse_accounts(group.text), app_user, app_uid))
      files.push_back(archive::file_entry("etc/group", appended(group.text, app_group_line()), group.mode, group.uid, group.gid));
    // A base without /etc/shadow keeps its passwords in passwd, or has none: an /etc/shadow that
    // listed only `app` would hide root's entry from the tools that look there, so none is made.
    if (base.shadow) {
      bool has_app = false;
      for (const auto& line : util::split(base.shadow->text, '\n'))
        if (line.starts_with(std::string(app_user) + ":")) has_app = true;
      if (!has_app)
        files.push_back(archive::file_entry("etc/shadow", appended(base.shadow->text, app_shadow_line()), base.shadow->mode,
                                     base.shadow->uid, base.shadow->gid));
    }
    out.contents = "accounts: user " + std::string(app_user) + " (" + std::to_string(app_uid) + ")";
  }

  // Directories the layer needs and the base lacks: parents as root 0755, the home as its user's.
  std::set<std::string> made;
  auto make_parents = [&](const std::string& path) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      if (!base.dirs.contains(parent) && made.insert(parent).second) out.entries.push_back(archive::dir_entry(parent, 0755));
    }
  };
  for (auto& f : files) {
    make_parents(f.path);
    out.entries.push_back(std::move(f));
  }
  if (!home.empty() && !base.dirs.contains(home) && !made.contains(home)) {
    make_parents(home);
    out.entries.push_back(archive::dir_entry(home, 0755, home_uid, home_gid));
  }
  if (out.entries.empty()) out.contents.clear();
  return out;
}

}  // namespace mlpack::buildpacks::debian_base
