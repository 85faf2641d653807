#include "pipeline/shared_libs.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>

#include "elf/soname.hpp"
#include "util/text.hpp"

namespace mlpack::pipeline {

struct LibraryScan::State {
  std::mutex mutex;
  // path -> (size, DT_SONAME); filled by prepare() and by the readers write_layer pulls.
  std::map<std::string, std::pair<std::uint64_t, std::optional<std::string>>> found;
  void record(const std::string& path, std::uint64_t size, std::optional<std::string> soname) {
    std::lock_guard lock(mutex);
    found[path] = {size, std::move(soname)};
  }
};

namespace {

std::string_view filename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Passes a stream through, reading its soname on the way (elf::SonameStream).
class Watch final : public util::Reader {
 public:
  Watch(std::unique_ptr<util::Reader> inner, std::shared_ptr<LibraryScan::State> state, std::string path,
        std::uint64_t size)
      : inner_(std::move(inner)), state_(std::move(state)), path_(std::move(path)), size_(size) {}
  ~Watch() override { flush(); }

  util::Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = inner_->read(out);
    if (!n) return n;
    stream_.feed(out.first(*n));
    if (*n == 0) flush();
    return n;
  }

 private:
  void flush() {
    if (done_) return;
    done_ = true;
    state_->record(path_, size_, stream_.soname());
  }
  std::unique_ptr<util::Reader> inner_;
  std::shared_ptr<LibraryScan::State> state_;
  std::string path_;
  std::uint64_t size_;
  elf::SonameStream stream_;
  bool done_ = false;
};

// A file on disk read where the soname is: a few small reads, however large the file.
std::optional<std::string> soname_of_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  return elf::read_soname([&in](std::uint64_t offset, std::size_t size) -> std::optional<std::string> {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in) return std::nullopt;
    std::string out(size, '\0');
    in.read(out.data(), static_cast<std::streamsize>(size));
    out.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    if (out.empty()) return std::nullopt;
    return out;
  });
}

}  // namespace

LibraryScan::LibraryScan(LibraryFilter filter) : filter_(std::move(filter)), state_(std::make_shared<State>()) {}

void LibraryScan::prepare(std::vector<archive::Entry>& entries) {
  if (!filter_) return;
  for (auto& e : entries) {
    if (e.type != archive::EntryType::file || !filter_(filename_of(e.path))) continue;
    std::string path = e.path;
    while (path.starts_with("./")) path.erase(0, 2);
    while (path.starts_with("/")) path.erase(0, 1);
    if (e.source) {
      state_->record(path, e.size, soname_of_file(*e.source));
    } else if (e.open) {
      e.open = [inner = std::move(e.open), state = state_, path, size = e.size]()
          -> util::Result<std::unique_ptr<util::Reader>> {
        auto reader = inner();
        if (!reader) return reader;
        return std::unique_ptr<util::Reader>(std::make_unique<Watch>(std::move(*reader), state, path, size));
      };
    } else {
      state_->record(path, e.data.size(), elf::soname_from_head(e.data));
    }
  }
}

std::vector<SharedLibrary> LibraryScan::libraries() const {
  std::vector<SharedLibrary> out;
  std::lock_guard lock(state_->mutex);
  for (const auto& [path, found] : state_->found)
    if (found.second) out.push_back({*found.second, path, found.first});
  return out;
}

std::vector<DuplicateLibrary> find_duplicates(std::span<const LayerLibraries> layers) {
  struct Held {
    std::size_t layer;
    SharedLibrary library;
  };
  std::map<std::string, Held> by_path;  // what each path holds once the layers are stacked
  for (std::size_t i = 0; i < layers.size(); ++i)
    for (const auto& lib : layers[i].libraries) by_path[lib.path] = Held{i, lib};
  std::map<std::string, std::vector<const Held*>> by_soname;
  for (const auto& [path, held] : by_path) by_soname[held.library.soname].push_back(&held);
  std::vector<DuplicateLibrary> out;
  for (auto& [soname, held] : by_soname) {
    if (held.size() < 2) continue;
    std::stable_sort(held.begin(), held.end(), [](const Held* a, const Held* b) {
      return a->layer != b->layer ? a->layer < b->layer : a->library.path < b->library.path;
    });
    DuplicateLibrary d{soname, {}, 0};
    std::uint64_t total = 0, largest = 0;
    for (const auto* h : held) {
      d.copies.push_back({"/" + h->library.path, layers[h->layer].source, h->library.size});
      total += h->library.size;
      largest = std::max(largest, h->library.size);
    }
    d.wasted = total - largest;
    out.push_back(std::move(d));
  }
  return out;
}

std::string describe(const DuplicateLibrary& d) {
  static const char* counts[] = {"", "once", "twice", "three times"};
  std::string times = d.copies.size() < 4 ? counts[d.copies.size()] : std::to_string(d.copies.size()) + " times";
  std::string text = util::printable_excerpt(d.soname) + " is in the image " + times + ": ";
  for (std::size_t i = 0; i < d.copies.size(); ++i) {
    if (i > 0) text += i + 1 == d.copies.size() ? " and " : ", ";
    text += util::printable_excerpt(d.copies[i].path, 400) + " (" + d.copies[i].source + ")";
  }
  return text + ": " + util::human_bytes(d.wasted) + " wasted";
}

nlohmann::json to_json(const DuplicateLibrary& d) {
  nlohmann::json copies = nlohmann::json::array();
  for (const auto& c : d.copies) copies.push_back({{"path", c.path}, {"source", c.source}, {"size", c.size}});
  return {{"soname", d.soname}, {"copies", copies}, {"wasted", d.wasted}};
}

nlohmann::json to_json(std::span<const SharedLibrary> libraries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : libraries) out.push_back({{"soname", l.soname}, {"path", l.path}, {"size", l.size}});
  return out;
}

std::optional<std::vector<SharedLibrary>> libraries_from_json(const nlohmann::json& doc) {
  if (!doc.is_array()) return std::nullopt;
  std::vector<SharedLibrary> out;
  try {
    for (const auto& l : doc)
      out.push_back({l.at("soname").get<std::string>(), l.at("path").get<std::string>(), l.at("size").get<std::uint64_t>()});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace mlpack::pipeline
