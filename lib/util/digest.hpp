#pragma once
// Content digests ("sha256:<64 hex>") and streaming SHA-256 and MD5 hashers.
#include <compare>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::util {

// A validated digest. Only sha256 and sha512 are accepted, in lowercase hex of the right length,
// so a Digest is always safe to use as a path component.
class Digest {
 public:
  static Result<Digest> parse(std::string_view text);
  static Digest sha256_of(std::string_view data);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string str() const { return algorithm_ + ":" + hex_; }
  // "sha256:0123456789ab" for messages.
  std::string short_str() const { return algorithm_ + ":" + hex_.substr(0, 12); }

  auto operator<=>(const Digest&) const = default;

 private:
  Digest(std::string algorithm, std::string hex) : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}
  std::string algorithm_;
  std::string hex_;
};

// A Writer that hashes what passes through it. Not copyable; call finish() once.
class Sha256Writer final : public Writer {
 public:
  Sha256Writer();
  ~Sha256Writer() override;
  Sha256Writer(const Sha256Writer&) = delete;
  Sha256Writer& operator=(const Sha256Writer&) = delete;

  Result<void> write(Bytes data) override;
  void update(Bytes data);
  Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// MD5, only to check files against indexes that give nothing better (old conda repodata records
// carry md5 alone). Never used to name content. Call finish_hex() once.
class Md5Writer final : public Writer {
 public:
  Md5Writer();
  ~Md5Writer() override;
  Md5Writer(const Md5Writer&) = delete;
  Md5Writer& operator=(const Md5Writer&) = delete;

  Result<void> write(Bytes data) override;
  // 32 lowercase hex digits.
  std::string finish_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hashes a whole file in a streaming pass.
Result<Digest> sha256_file(const std::string& path);

std::string to_hex(Bytes data);

// Whether `s` is lowercase hex digits only: exactly `digits` of them, or (digits 0) any
// non-empty number. Index files' checksums are checked with it before they are compared.
bool is_lower_hex(std::string_view s, std::size_t digits = 0);

}  // namespace mlpack::util
