#pragma once
// The streaming back half of write_layer (internal to archive): takes the tar stream in order,
// and hashes, compresses and writes it on other threads while the caller keeps producing.
//
// Threads: the caller produces the tar and hashes it (diff_id) block by block; `threads` gzip
// workers (or libzstd's own `threads` workers) compress; one writer thread takes blocks in stream
// order, hashes the compressed bytes (digest) and writes them to `out`. Memory is a fixed pool of blocks, so a
// producer that outruns the compressors waits.
#include <cstdint>
#include <memory>
#include <span>

#include "archive/layer.hpp"

namespace mlpack::archive::detail {

struct PipelineOptions {
  Compression compression = Compression::gzip;
  int level = 0;             // already resolved, valid for the compressor
  unsigned threads = 1;      // >= 1
};

class Pipeline {
 public:
  Pipeline(const PipelineOptions& options, util::Writer& out);
  // Stops and joins the threads if finish() did not run.
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Non-empty room at the end of the current block, to be filled and then commit()ed. Waits for a
  // free block; fails once any stage has failed.
  Result<std::span<std::byte>> space();
  Result<void> commit(std::size_t n);
  Result<void> write(util::Bytes data);
  Result<void> write_zeros(std::size_t n);
  // Ends the stream, waits for every stage, and returns the digests and sizes.
  Result<LayerResult> finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace mlpack::archive::detail
