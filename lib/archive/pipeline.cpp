#include "archive/pipeline.hpp"

#include <libdeflate.h>
#include <zstd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "util/expected.hpp"

namespace mlpack::archive::detail {

namespace {

using util::ErrorKind;

struct Block {
  std::vector<std::byte> in = std::vector<std::byte>(gzip_block_size);
  std::size_t in_size = 0;
  std::vector<std::byte> out;  // gzip: the block's gzip member
  std::size_t out_size = 0;
  bool first = false;  // the stream's first block: a gzip member even when empty
  bool last = false;
  bool compressed = false;
};

struct ZstdCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

struct DeflateCompressorFree {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// Compresses one block into one complete gzip member (RFC 1952): the concatenated members are
// the layer, a multi-member gzip file that gzip, zlib's inflate, Go's compress/gzip (containerd,
// umoci, skopeo) and libarchive read as one stream. Each member stands alone (libdeflate has no
// preset dictionary), so blocks need nothing from their neighbours and the output depends only on
// the block, the level and the libdeflate version, never on the thread or the thread count.
//
// Header bytes are fixed for a level: libdeflate_gzip_compress writes 1f 8b 08, FLG 0 (no name,
// comment or extra field), MTIME 0, XFL 4 for levels 0-1, 2 for 8-12, else 0, and OS 255
// ("unknown"), so neither the clock nor the host ever shows.
//
// Reproducibility: libdeflate's output is a pure function of input, level and libdeflate version
// (its CPU-specific code only computes checksums and resets tables, with identical results;
// upstream states every release is deterministic but makes no promise across releases,
// ebiggers/libdeflate#400). So the digest of a gzip layer depends on the level and the libdeflate
// version, as it did on zlib's before.
class BlockCompressor {
 public:
  explicit BlockCompressor(int level) : c_(libdeflate_alloc_compressor(level)) {
    if (c_) bound_ = libdeflate_gzip_compress_bound(c_.get(), gzip_block_size);
  }

  Result<void> compress(Block& b) {
    if (!c_) return util::fail(ErrorKind::internal, "gzip: cannot allocate a libdeflate compressor");
    if (b.in_size == 0 && !b.first) {  // the stream ended on a block boundary: nothing to add
      b.out_size = 0;
      return {};
    }
    if (b.out.size() < bound_) b.out.resize(bound_);
    b.out_size = libdeflate_gzip_compress(c_.get(), b.in.data(), b.in_size, b.out.data(), b.out.size());
    if (b.out_size == 0) return util::fail(ErrorKind::internal, "gzip: libdeflate_gzip_compress overflowed its bound");
    return {};
  }

 private:
  std::unique_ptr<libdeflate_compressor, DeflateCompressorFree> c_;
  std::size_t bound_ = 0;
};

}  // namespace

struct Pipeline::State {
  PipelineOptions options;
  util::Writer& out;

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Block>> pool;
  std::vector<Block*> free_blocks;
  std::deque<Block*> to_compress;  // gzip: waiting for a worker
  std::deque<Block*> ordered;      // stream order, waiting for the writer
  std::optional<util::Error> error;
  bool writer_done = false;

  // Producer only. The diff_id is hashed here, as blocks are submitted, rather than on the
  // writer thread: for an uncompressed layer the writer's write() calls (copying every byte into
  // the page cache) are the pipeline's longest stage, and the producer has room to spare.
  Block* current = nullptr;
  bool any_submitted = false;
  util::Sha256Writer diff_hash;
  std::uint64_t uncompressed_size = 0;

  // Writer thread only.
  util::Sha256Writer blob_hash;
  std::uint64_t size = 0;
  std::unique_ptr<ZSTD_CCtx, ZstdCtxFree> zstd;
  std::vector<std::byte> zstd_out;

  std::vector<std::jthread> threads;

  State(const PipelineOptions& o, util::Writer& w) : options(o), out(w) {}

  void set_error(util::Error e) {
    std::lock_guard lock(mu);
    if (!error) error = std::move(e);
    cv.notify_all();
  }

  Result<void> emit(const std::byte* data, std::size_t n) {
    if (n == 0) return {};
    // Uncompressed, the blob is the tar: its digest is the diff_id, so the bytes are hashed once.
    if (options.compression != Compression::none) blob_hash.update({data, n});
    size += n;
    return out.write({data, n});
  }

  void worker() {
    BlockCompressor compressor(options.level);
    for (;;) {
      Block* b;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return error || writer_done || !to_compress.empty(); });
        if (error || to_compress.empty()) return;
        b = to_compress.front();
        to_compress.pop_front();
      }
      auto r = compressor.compress(*b);
      std::lock_guard lock(mu);
      if (!r && !error) error = r.error();
      b->compressed = true;
      cv.notify_all();
    }
  }

  Result<void> start_output() {
    if (options.compression == Compression::zstd) {
      zstd.reset(ZSTD_createCCtx());
      // nbWorkers >= 1 always: zstd's multithreaded format does not depend on the worker count,
      // but it differs from single-threaded mode (0), so 0 must never be used.
      if (!zstd || ZSTD_isError(ZSTD_CCtx_setParameter(zstd.get(), ZSTD_c_compressionLevel, options.level)) ||
          ZSTD_isError(ZSTD_CCtx_setParameter(zstd.get(), ZSTD_c_checksumFlag, 1)) ||
          ZSTD_isError(ZSTD_CCtx_setParameter(zstd.get(), ZSTD_c_nbWorkers, static_cast<int>(options.threads))))
        return util::fail(ErrorKind::internal, "zstd: cannot set up the compressor (is libzstd built with threads?)");
      zstd_out.resize(ZSTD_CStreamOutSize());
    }
    return {};
  }

  Result<void> process(Block& b) {
    switch (options.compression) {
      case Compression::none:
        return emit(b.in.data(), b.in_size);
      case Compression::gzip:
        return emit(b.out.data(), b.out_size);
      case Compression::zstd: {
        ZSTD_inBuffer in{b.in.data(), b.in_size, 0};
        ZSTD_EndDirective mode = b.last ? ZSTD_e_end : ZSTD_e_continue;
        for (;;) {
          ZSTD_outBuffer o{zstd_out.data(), zstd_out.size(), 0};
          std::size_t left = ZSTD_compressStream2(zstd.get(), &o, &in, mode);
          if (ZSTD_isError(left)) return util::fail(ErrorKind::internal, std::string("zstd: ") + ZSTD_getErrorName(left));
          TRY(emit(zstd_out.data(), o.pos));
          if (b.last ? left == 0 : in.pos == in.size) return {};
        }
      }
    }
    return {};
  }

  void writer() {
    if (auto r = start_output(); !r) return set_error(r.error());
    bool gzip = options.compression == Compression::gzip;
    for (;;) {
      Block* b;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return error || (!ordered.empty() && (!gzip || ordered.front()->compressed)); });
        if (error) return;
        b = ordered.front();
        ordered.pop_front();
      }
      auto r = process(*b);
      bool last = b->last;
      std::lock_guard lock(mu);
      if (!r && !error) error = r.error();
      b->in_size = 0;
      b->out_size = 0;
      b->first = false;
      b->last = false;
      b->compressed = false;
      free_blocks.push_back(b);
      if (last) writer_done = true;
      cv.notify_all();
      if (last || error) return;
    }
  }

  void submit(Block* b) {
    b->first = !any_submitted;
    any_submitted = true;
    diff_hash.update({b->in.data(), b->in_size});
    uncompressed_size += b->in_size;
    std::lock_guard lock(mu);
    ordered.push_back(b);
    if (options.compression == Compression::gzip) to_compress.push_back(b);
    cv.notify_all();
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      if (!error && !writer_done) error = util::Error{ErrorKind::internal, "layer writing was abandoned"};
      cv.notify_all();
    }
    threads.clear();
  }
};

Pipeline::Pipeline(const PipelineOptions& options, util::Writer& out) : s_(std::make_unique<State>(options, out)) {
  unsigned workers = options.compression == Compression::gzip ? std::max(1u, options.threads) : 0;
  // Enough blocks for every worker to hold one while the producer fills the next and the writer
  // drains the oldest; more only adds memory.
  std::size_t blocks = options.compression == Compression::gzip ? 2 * workers + 2 : 3;
  for (std::size_t i = 0; i < blocks; ++i) {
    s_->pool.push_back(std::make_unique<Block>());
    s_->free_blocks.push_back(s_->pool.back().get());
  }
  s_->threads.emplace_back([this] { s_->writer(); });
  for (unsigned i = 0; i < workers; ++i) s_->threads.emplace_back([this] { s_->worker(); });
}

Pipeline::~Pipeline() { s_->stop(); }

Result<std::span<std::byte>> Pipeline::space() {
  auto& s = *s_;
  if (!s.current) {
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return s.error || !s.free_blocks.empty(); });
    if (s.error) return std::unexpected(*s.error);
    s.current = s.free_blocks.back();
    s.free_blocks.pop_back();
  }
  return std::span<std::byte>(s.current->in.data() + s.current->in_size, gzip_block_size - s.current->in_size);
}

Result<void> Pipeline::commit(std::size_t n) {
  auto& s = *s_;
  s.current->in_size += n;
  if (s.current->in_size == gzip_block_size) {
    s.submit(s.current);
    s.current = nullptr;
  }
  return {};
}

Result<void> Pipeline::write(util::Bytes data) {
  while (!data.empty()) {
    auto room = TRY(space());
    std::size_t n = std::min(room.size(), data.size());
    std::memcpy(room.data(), data.data(), n);
    TRY(commit(n));
    data = data.subspan(n);
  }
  return {};
}

Result<void> Pipeline::write_zeros(std::size_t n) {
  while (n > 0) {
    auto room = TRY(space());
    std::size_t k = std::min(room.size(), n);
    std::memset(room.data(), 0, k);
    TRY(commit(k));
    n -= k;
  }
  return {};
}

Result<LayerResult> Pipeline::finish() {
  auto& s = *s_;
  // The last block may be empty when the stream ends on a block boundary: it still carries the
  // end of the zstd stream (gzip skips it unless the whole stream is empty).
  TRY(space());
  s.current->last = true;
  s.submit(s.current);
  s.current = nullptr;
  {
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return s.error || s.writer_done; });
    s.cv.notify_all();
  }
  s.threads.clear();  // joins
  if (s.error) return std::unexpected(*s.error);
  Digest diff_id = s.diff_hash.finish();
  Digest digest = s.options.compression == Compression::none ? diff_id : s.blob_hash.finish();
  return LayerResult{digest, diff_id, s.size, s.uncompressed_size};
}

}  // namespace mlpack::archive::detail
