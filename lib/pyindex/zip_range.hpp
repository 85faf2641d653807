#pragma once
// Reading one member of a remote zip (a wheel's METADATA) without downloading the wheel: the
// end of central directory comes from the file's tail, then the central directory, then just
// the member's bytes. The same code reads local wheels through a file-backed source.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "util/error.hpp"

namespace mlpack::pyindex {

using util::Result;

// A file read by byte ranges.
class RangeSource {
 public:
  virtual ~RangeSource() = default;
  struct Tail {
    std::uint64_t size = 0;  // of the whole file
    std::string bytes;       // its last min(n, size) bytes
  };
  virtual Result<Tail> tail(std::size_t n) = 0;
  // Exactly `length` bytes at `offset`, or an error (a short file is ErrorKind::integrity).
  virtual Result<std::string> read(std::uint64_t offset, std::size_t length) = 0;
};

// A local file (file:// wheels, wheels already in the blob cache).
std::unique_ptr<RangeSource> file_range_source(std::filesystem::path path);
// Bytes in memory (tests).
std::unique_ptr<RangeSource> memory_range_source(std::string data);

struct HttpRangeCounters {
  std::function<void()> on_range_request;
  std::function<void()> on_full_download;
};

// HTTP Range requests against `request` (a GET; its headers, such as Authorization, are kept).
// A suffix range fetches the tail without a HEAD first. A server that ignores Range (200) or
// refuses it (416) is handled by reading the whole body once, spooled to a temporary file past
// a few MiB so memory stays bounded. `send` sends one request (with retries, as the caller likes).
using SendFn = std::function<Result<net::Response>(const net::Request&, util::Writer*)>;
std::unique_ptr<RangeSource> http_range_source(SendFn send, net::Request request, HttpRangeCounters counters = {});

// The bytes of the wheel's top-level `<name>-<version>.dist-info/METADATA`, inflated and
// CRC-checked. When several dist-info directories exist, the one matching `wheel_filename`'s
// project wins. invalid_input for a file that is not a zip or lacks METADATA.
Result<std::string> read_wheel_metadata(RangeSource& source, std::string_view wheel_filename);

}  // namespace mlpack::pyindex
