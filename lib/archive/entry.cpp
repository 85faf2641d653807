#include "archive/entry.hpp"

namespace mlpack::archive {

Entry file_entry(std::string path, std::string data, std::uint32_t mode, std::uint32_t uid, std::uint32_t gid) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::file;
  e.mode = mode;
  e.size = data.size();
  e.data = std::move(data);
  e.uid = uid;
  e.gid = gid;
  return e;
}

Entry dir_entry(std::string path, std::uint32_t mode, std::uint32_t uid, std::uint32_t gid) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::directory;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  return e;
}

Entry symlink_entry(std::string path, std::string target) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::symlink;
  e.mode = 0777;
  e.link_target = std::move(target);
  return e;
}

}  // namespace mlpack::archive
