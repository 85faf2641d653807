#pragma once
// A download spooled to disk: bytes go into a util::AtomicFile that appears under its name only
// when committed, so a failed or refused download leaves nothing behind. restart() starts it over
// (send_with_retry's restart_sink, for a retried dropped connection); more than `limit` bytes is
// refused before they reach the disk. With Hashes::sha256_md5 it also hashes what it writes, so a
// download of unknown digest can be checked against an index's MD5 and named by its sha256.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"

namespace mlpack::net {

class Spool final : public util::Writer {
 public:
  enum class Hashes { none, sha256_md5 };

  // `what` names the download in the refusal ("`<url>` is larger than 2 GiB; refused"), which is
  // of kind `too_large`. Nothing is created before the first restart().
  Spool(std::filesystem::path dest, std::uint64_t limit, std::string what,
        util::ErrorKind too_large = util::ErrorKind::invalid_input, Hashes hashes = Hashes::none);

  // A fresh temporary file (the previous one, if any, dropped) and fresh hashes. Call it once
  // before the first write.
  util::Result<void> restart();
  util::Result<void> write(util::Bytes data) override;

  // The temporary file: commit() or commit_as() it, or read temp_path() and let it drop.
  util::AtomicFile& file() { return *file_; }
  std::uint64_t count() const { return count_; }
  // With Hashes::sha256_md5 only; each once, after the last write.
  std::string sha256_hex();
  std::string md5_hex();

 private:
  std::filesystem::path dest_;
  std::uint64_t limit_;
  std::string what_;
  util::ErrorKind too_large_;
  Hashes hashes_;
  std::unique_ptr<util::AtomicFile> file_;
  std::optional<util::Sha256Writer> sha_;
  std::optional<util::Md5Writer> md5_;
  std::uint64_t count_ = 0;
};

}  // namespace mlpack::net
