#pragma once
// Reading a wheel's METADATA without downloading the wheel: an archive::RandomAccess over HTTP
// range requests, under archive's zip reader, fetches the file's tail (end of central directory,
// often the whole directory), the central directory if the tail lacks it, then just the member.
// The same lookup reads local wheels through archive::open_file_access.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "archive/zip.hpp"
#include "net/http.hpp"
#include "util/error.hpp"

namespace mlpack::pyindex {

using util::Result;

struct HttpRangeCounters {
  std::function<void()> on_range_request;
  std::function<void()> on_full_download;
};

// HTTP Range requests against `request` (a GET; its headers, such as Authorization, are kept).
// size() sends a suffix range for the last 64 KiB, so the size and the tail come in one request
// without a HEAD; read_at() serves what earlier answers hold and asks for the rest; will_read()
// fetches a member's header and data at once. A server that ignores Range (200) or refuses it
// (416) is handled by reading the whole body once, spooled to a temporary file past a few MiB
// so memory stays bounded. `send` sends one request (with retries, as the caller likes). Not for
// several threads at once.
using SendFn = std::function<Result<net::Response>(const net::Request&, util::Writer*)>;
std::shared_ptr<archive::RandomAccess> http_range_access(SendFn send, net::Request request,
                                                         HttpRangeCounters counters = {});

// The bytes of the wheel's top-level `<name>-<version>.dist-info/METADATA`, inflated and
// CRC-checked by archive::ZipReader (whose errors, integrity for a file that is not a sound zip,
// pass through). When several dist-info directories exist, the one matching `wheel_filename`'s
// project wins. invalid_input for a zip without METADATA or with one over 16 MiB.
Result<std::string> read_wheel_metadata(std::shared_ptr<archive::RandomAccess> source,
                                        std::string_view wheel_filename);

}  // namespace mlpack::pyindex
