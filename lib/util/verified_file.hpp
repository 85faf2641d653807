#pragma once
// A download written to a file that appears under its name only once its size and sha256 are
// what was expected. Bytes beyond the expected size are refused before they reach the disk.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "util/digest.hpp"
#include "util/fs.hpp"

namespace mlpack::util {

class VerifiedFile final : public Writer {
 public:
  // `what` names the content in errors ("blob sha256:…", a URL). expected_size 0 means unknown.
  VerifiedFile(std::filesystem::path dest, Digest expected, std::uint64_t expected_size, std::string what)
      : dest_(std::move(dest)), expected_(std::move(expected)), expected_size_(expected_size), what_(std::move(what)) {}

  // Starts (or starts over, after a dropped connection) with an empty temporary file.
  Result<void> restart();
  Result<void> write(Bytes data) override;
  // Checks size and digest (ErrorKind::integrity naming `what`), leaving the file uncommitted.
  Result<void> verify();
  // verify(), then renames the file into place.
  Result<void> commit();
  // verify(), then hands the uncommitted file over (to be renamed elsewhere with commit_as).
  Result<std::unique_ptr<AtomicFile>> take();

 private:
  std::filesystem::path dest_;
  Digest expected_;
  std::uint64_t expected_size_;
  std::string what_;
  std::unique_ptr<AtomicFile> file_;
  std::optional<Sha256Writer> hasher_;
  std::uint64_t count_ = 0;
};

}  // namespace mlpack::util
