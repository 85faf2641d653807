#pragma once
// Byte streams. Everything large (layers, blobs, uploads) flows through these so memory stays
// bounded whatever the size.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::util {

using Bytes = std::span<const std::byte>;

inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes all of `data` or fails.
  virtual Result<void> write(Bytes data) = 0;
};

class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to out.size() bytes; returns 0 at end of stream.
  virtual Result<std::size_t> read(std::span<std::byte> out) = 0;
};

// Appends to a std::string (small documents: manifests, configs, tests).
class StringWriter final : public Writer {
 public:
  Result<void> write(Bytes data) override {
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
  }
  std::string out;
};

// Reads from a string it owns.
class StringReader final : public Reader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  Result<std::size_t> read(std::span<std::byte> out) override;

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// Reads a file. Opening fails with ErrorKind::not_found or io.
class FileReader final : public Reader {
 public:
  static Result<std::unique_ptr<FileReader>> open(const std::string& path);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  Result<std::size_t> read(std::span<std::byte> out) override;
  // Moves the read position; used to resume uploads.
  Result<void> seek(std::uint64_t offset);

 private:
  FileReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// Copies a reader into a writer in bounded chunks. Returns the byte count.
Result<std::uint64_t> copy(Reader& from, Writer& to);

// Reads the whole stream into a string; fails if it exceeds `limit` bytes.
Result<std::string> read_all(Reader& from, std::size_t limit);

// Forwards writes to two writers (e.g. a file and a hasher).
class TeeWriter final : public Writer {
 public:
  TeeWriter(Writer& a, Writer& b) : a_(a), b_(b) {}
  Result<void> write(Bytes data) override {
    if (auto r = a_.write(data); !r) return r;
    return b_.write(data);
  }

 private:
  Writer& a_;
  Writer& b_;
};

// Counts bytes written and forwards them.
class CountingWriter final : public Writer {
 public:
  explicit CountingWriter(Writer& inner) : inner_(inner) {}
  Result<void> write(Bytes data) override {
    count += data.size();
    return inner_.write(data);
  }
  std::uint64_t count = 0;

 private:
  Writer& inner_;
};

}  // namespace mlpack::util
