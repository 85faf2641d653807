// A driver for the fuzz targets without libFuzzer (g++: Debian's clang 14 cannot compile libstdc++
// 12's <expected>; with a newer clang the same targets link -fsanitize=fuzzer instead).
//
//   fuzz_x FILE|DIR...                      replay: each file (or each file in a folder) is one input
//   fuzz_x -max_total_time=N FILE|DIR...    then mutate those inputs at random for N seconds
//
// The mutation mode is a short, coverage-blind run for CI (the sanitizer build): bit flips,
// interesting bytes, numbers, tokens taken from the seeds, deleted, duplicated and spliced
// ranges, stacked a few at a time over a seed or an earlier mutant. The long coverage-guided runs
// use AFL++ (tests/fuzz/README.md). Flags, libFuzzer's spelling: -max_total_time=N (seconds),
// -seed=N (the mutation sequence; default 1), -timeout=N (seconds per input; default 25),
// -artifact_prefix=DIR/ (where a failing input is written; default the working folder). An input
// that crashes, trips a sanitizer, aborts or runs past the timeout is written to
// <prefix>crash-<hash> (or timeout-<hash>) before the process dies, and shown escaped on stderr
// when it is short, so a CI log alone reproduces it.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// UBSan ends the process with _exit unless told to abort, and its runtime does not call ASan's
// death callback: aborting lets the SIGABRT handler below keep the input. UBSAN_OPTIONS still wins.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

namespace {

// The input being run, for the handlers: set before each call, read only when the process dies.
const std::uint8_t* current_data = nullptr;
std::size_t current_size = 0;
char crash_path[4096] = "crash-input";
char timeout_path[4096] = "timeout-input";
std::size_t prefix_length = 0;  // of -artifact_prefix, at the start of both paths

void write_input(const char* path) {
  if (!current_data) return;
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  for (std::size_t done = 0; done < current_size;) {
    auto n = ::write(fd, current_data + done, current_size - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  const char note[] = "\nfuzz: the failing input was written to ";
  (void)!::write(2, note, sizeof note - 1);
  (void)!::write(2, path, std::strlen(path));
  (void)!::write(2, "\n", 1);
  // Short inputs are shown too, escaped, so the log alone is enough to reproduce.
  if (current_size <= 512) {
    char buf[4 * 512 + 32];
    std::size_t at = 0;
    for (std::size_t i = 0; i < current_size; ++i) {
      unsigned char c = current_data[i];
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        buf[at++] = static_cast<char>(c);
      } else {
        static const char hex[] = "0123456789abcdef";
        buf[at++] = '\\';
        buf[at++] = 'x';
        buf[at++] = hex[c >> 4];
        buf[at++] = hex[c & 15];
      }
    }
    buf[at++] = '\n';
    const char lead[] = "fuzz: input (escaped): ";
    (void)!::write(2, lead, sizeof lead - 1);
    (void)!::write(2, buf, at);
  }
}

void on_death() { write_input(crash_path); }

void on_signal(int sig) {
  write_input(sig == SIGALRM ? timeout_path : crash_path);
  std::signal(sig == SIGALRM ? SIGABRT : sig, SIG_DFL);
  std::raise(sig == SIGALRM ? SIGABRT : sig);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::size_t timeout_seconds = 25;

void run_one(const std::string& input) {
  current_data = reinterpret_cast<const std::uint8_t*>(input.data());
  current_size = input.size();
  auto h = fnv1a(input);
  // Paths are made before the call so the handlers only write.
  std::snprintf(crash_path + prefix_length, sizeof crash_path - prefix_length, "crash-%016llx",
                static_cast<unsigned long long>(h));
  std::snprintf(timeout_path + prefix_length, sizeof timeout_path - prefix_length, "timeout-%016llx",
                static_cast<unsigned long long>(h));
  ::alarm(static_cast<unsigned>(timeout_seconds));
  LLVMFuzzerTestOneInput(current_data, current_size);
  ::alarm(0);
  current_data = nullptr;
}

bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Words, numbers and punctuation runs of the seeds: what a structured format is made of, for
// the mutator to put elsewhere.
std::vector<std::string> tokens_of(const std::vector<std::string>& seeds) {
  std::set<std::string> found;
  for (const auto& s : seeds) {
    std::size_t i = 0;
    while (i < s.size() && found.size() < 2048) {
      auto word = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; };
      std::size_t j = i + 1;
      if (word(static_cast<unsigned char>(s[i])))
        while (j < s.size() && word(static_cast<unsigned char>(s[j]))) ++j;
      if (j - i >= 2 && j - i <= 32) found.insert(s.substr(i, j - i));
      i = j;
    }
  }
  return {found.begin(), found.end()};
}

class Mutator {
public:
  Mutator(std::uint64_t seed, const std::vector<std::string>& seeds)
      : rng_(seed), seeds_(seeds), tokens_(tokens_of(seeds)) {}

  // Inputs grow up to 64 KiB, or the size they started at if that is more.
  std::string mutate(std::string s) {
    const std::size_t cap = std::max(max_size, s.size());
    int rounds = 1 + static_cast<int>(pick(4));
    for (int r = 0; r < rounds; ++r) step(s);
    if (s.size() > cap) s.resize(cap);
    return s;
  }

private:
  static constexpr std::size_t max_size = 1 << 16;

  std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  void step(std::string& s) {
    static constexpr char interesting_array[] = "\0\xff\x7f\x80\n\r\t \"'\\{}[]:,=<>;#@/*~^!$%&|()+-.";
    static constexpr std::string_view interesting_bytes(interesting_array, sizeof interesting_array - 1);
    static constexpr std::string_view numbers[] = {"0", "-1", "1e999", "18446744073709551616", "4294967295",
                                                   "2147483648", "-0", "0.0", "9999999999999999999999", "NaN"};
    std::size_t at = pick(s.size() + 1);
    switch (pick(10)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // a random byte
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
        break;
      case 2:  // an interesting byte, set or inserted
        if (!s.empty() && pick(2)) s[pick(s.size())] = interesting_bytes[pick(interesting_bytes.size())];
        else s.insert(at, 1, interesting_bytes[pick(interesting_bytes.size())]);
        break;
      case 3: {  // delete a range
        if (s.empty()) break;
        std::size_t from = pick(s.size());
        s.erase(from, 1 + pick(std::min<std::size_t>(64, s.size() - from)));
        break;
      }
      case 4: {  // duplicate a range somewhere else
        if (s.empty()) break;
        std::size_t from = pick(s.size());
        auto piece = s.substr(from, 1 + pick(std::min<std::size_t>(256, s.size() - from)));
        s.insert(pick(s.size() + 1), piece);
        break;
      }
      case 5:  // a token from the seeds
        if (!tokens_.empty()) s.insert(at, tokens_[pick(tokens_.size())]);
        break;
      case 6:  // a number
        s.insert(at, numbers[pick(std::size(numbers))]);
        break;
      case 7: {  // splice with another seed
        const auto& other = seeds_[pick(seeds_.size())];
        std::size_t cut = pick(other.size() + 1);
        s = s.substr(0, at) + other.substr(cut);
        break;
      }
      case 8:  // truncate
        s.resize(at);
        break;
      default: {  // random bytes
        std::size_t n = 1 + pick(8);
        for (std::size_t i = 0; i < n; ++i) s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)), static_cast<char>(pick(256)));
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>& seeds_;
  std::vector<std::string> tokens_;
};

bool flag_value(std::string_view arg, std::string_view name, std::string& value) {
  if (arg.size() <= name.size() + 2 || arg.substr(0, 1) != "-" || arg.substr(1, name.size()) != name ||
      arg[name.size() + 1] != '=')
    return false;
  value = std::string(arg.substr(name.size() + 2));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long seconds = 0;
  std::uint64_t seed = 1;
  std::string prefix;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    if (flag_value(arg, "max_total_time", value)) seconds = std::strtol(value.c_str(), nullptr, 10);
    else if (flag_value(arg, "seed", value)) seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag_value(arg, "timeout", value)) timeout_seconds = std::strtoul(value.c_str(), nullptr, 10);
    else if (flag_value(arg, "artifact_prefix", value)) prefix = value;
    else if (arg.starts_with("-")) {
      std::fprintf(stderr, "unknown flag %s (known: -max_total_time=N -seed=N -timeout=N -artifact_prefix=P)\n", argv[i]);
      return 2;
    } else paths.emplace_back(arg);
  }
  if (prefix.size() + 32 >= sizeof crash_path) {
    std::fprintf(stderr, "-artifact_prefix is too long\n");
    return 2;
  }
  std::snprintf(crash_path, sizeof crash_path, "%scrash-input", prefix.c_str());
  std::snprintf(timeout_path, sizeof timeout_path, "%stimeout-input", prefix.c_str());
  prefix_length = prefix.size();
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(on_death);
#else
  (void)on_death;
#endif
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) std::signal(sig, on_signal);

  // Files in the order given; a folder's files sorted, so runs are repeatable.
  std::vector<std::string> seeds;
  for (const auto& path : paths) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) {
      std::string data;
      if (!read_file(file, data)) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
      }
      run_one(data);
      seeds.push_back(std::move(data));
    }
  }
  std::printf("replayed %zu inputs\n", seeds.size());
  if (seconds <= 0) return 0;
  if (seeds.empty()) seeds.emplace_back();

  // Mutants start from a seed or from one of the last mutants, so changes can stack up.
  Mutator mutator(seed, seeds);
  std::mt19937_64 choose(seed ^ 0x9e3779b97f4a7c15ull);
  std::vector<std::string> recent;
  std::size_t runs = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string& base = (!recent.empty() && choose() % 2) ? recent[choose() % recent.size()]
                                                                 : seeds[choose() % seeds.size()];
    std::string input = mutator.mutate(base);
    run_one(input);
    ++runs;
    if (recent.size() < 64) recent.push_back(std::move(input));
    else recent[choose() % recent.size()] = std::move(input);
  }
  std::printf("ran %zu mutated inputs in %ld s (seed %llu), no failure\n", runs, seconds,
              static_cast<unsigned long long>(seed));
  return 0;
}
