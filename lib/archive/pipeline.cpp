#include "archive/pipeline.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mlpack::archive::detail {

namespace {

using util::ErrorKind;

constexpr std::size_t kWindow = 32 * 1024;  // deflate's window: the dictionary each block gets

struct Block {
  std::vector<std::byte> in = std::vector<std::byte>(gzip_block_size);
  std::size_t in_size = 0;
  std::vector<std::byte> dict;  // gzip: up to 32 KiB of stream preceding this block
  std::vector<std::byte> out;   // gzip: the block's deflate output
  std::size_t out_size = 0;
  std::uint32_t crc = 0;
  bool last = false;
  bool compressed = false;
};

struct ZstdCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

// Raw deflate of one block, primed with `dict` and ended with Z_SYNC_FLUSH (Z_FINISH for the last
// block), so that the concatenated outputs form one deflate stream. The output depends only on
// the block, its dictionary and the level, never on which thread ran it.
class BlockDeflater {
 public:
  explicit BlockDeflater(int level) {
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~BlockDeflater() {
    if (ok_) deflateEnd(&z_);
  }
  BlockDeflater(const BlockDeflater&) = delete;
  BlockDeflater& operator=(const BlockDeflater&) = delete;

  Result<void> compress(Block& b) {
    if (!ok_) return util::fail(ErrorKind::internal, "gzip: deflateInit2 failed");
    if (deflateReset(&z_) != Z_OK) return util::fail(ErrorKind::internal, "gzip: deflateReset failed");
    if (!b.dict.empty() &&
        deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(b.dict.data()), static_cast<uInt>(b.dict.size())) != Z_OK)
      return util::fail(ErrorKind::internal, "gzip: deflateSetDictionary failed");
    b.out.resize(std::max<std::size_t>(b.out.size(), deflateBound(&z_, b.in_size) + 64));
    z_.next_in = reinterpret_cast<Bytef*>(b.in.data());
    z_.avail_in = static_cast<uInt>(b.in_size);
    std::size_t produced = 0;
    int flush = b.last ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(b.out.data() + produced);
      z_.avail_out = static_cast<uInt>(b.out.size() - produced);
      int rc = deflate(&z_, flush);
      produced = b.out.size() - z_.avail_out;
      if (rc == Z_STREAM_ERROR) return util::fail(ErrorKind::internal, "gzip: deflate failed");
      bool finished = b.last ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0);
      if (finished) break;
      if (z_.avail_out == 0) b.out.resize(b.out.size() * 2);
    }
    b.out_size = produced;
    b.crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(b.in.data()), static_cast<uInt>(b.in_size)));
    return {};
  }

 private:
  z_stream z_{};
  bool ok_ = false;
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

  // Producer only.
  Block* current = nullptr;
  std::vector<std::byte> tail;  // gzip: the last 32 KiB of the stream so far
  bool finished = false;

  // Writer thread only.
  util::Sha256Writer diff_hash;
  util::Sha256Writer blob_hash;
  std::uint64_t size = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint32_t crc = 0;
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
    blob_hash.update({data, n});
    size += n;
    return out.write({data, n});
  }

  void worker() {
    BlockDeflater deflater(options.level);
    for (;;) {
      Block* b;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return error || writer_done || !to_compress.empty(); });
        if (error || to_compress.empty()) return;
        b = to_compress.front();
        to_compress.pop_front();
      }
      auto r = deflater.compress(*b);
      std::lock_guard lock(mu);
      if (!r && !error) error = r.error();
      b->compressed = true;
      cv.notify_all();
    }
  }

  Result<void> start_output() {
    if (options.compression == Compression::gzip) {
      // mtime 0, no name, XFL as zlib sets it, OS 255 ("unknown") so the host never shows.
      std::byte xfl{static_cast<unsigned char>(options.level == 9 ? 2 : options.level == 1 ? 4 : 0)};
      const std::byte header[10] = {std::byte{0x1f}, std::byte{0x8b}, std::byte{8}, std::byte{0}, std::byte{0},
                                    std::byte{0},    std::byte{0},    std::byte{0}, xfl,          std::byte{255}};
      return emit(header, sizeof header);
    }
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
    diff_hash.update({b.in.data(), b.in_size});
    uncompressed_size += b.in_size;
    switch (options.compression) {
      case Compression::none:
        return emit(b.in.data(), b.in_size);
      case Compression::gzip: {
        if (auto r = emit(b.out.data(), b.out_size); !r) return r;
        crc = static_cast<std::uint32_t>(crc32_combine(crc, b.crc, static_cast<z_off_t>(b.in_size)));
        if (!b.last) return {};
        std::byte trailer[8];
        for (int i = 0; i < 4; ++i) trailer[i] = std::byte{static_cast<unsigned char>(crc >> (8 * i))};
        for (int i = 0; i < 4; ++i)
          trailer[4 + i] = std::byte{static_cast<unsigned char>(uncompressed_size >> (8 * i))};
        return emit(trailer, sizeof trailer);
      }
      case Compression::zstd: {
        ZSTD_inBuffer in{b.in.data(), b.in_size, 0};
        ZSTD_EndDirective mode = b.last ? ZSTD_e_end : ZSTD_e_continue;
        for (;;) {
          ZSTD_outBuffer o{zstd_out.data(), zstd_out.size(), 0};
          std::size_t left = ZSTD_compressStream2(zstd.get(), &o, &in, mode);
          if (ZSTD_isError(left)) return util::fail(ErrorKind::internal, std::string("zstd: ") + ZSTD_getErrorName(left));
          if (auto r = emit(zstd_out.data(), o.pos); !r) return r;
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
      b->last = false;
      b->compressed = false;
      free_blocks.push_back(b);
      if (last) writer_done = true;
      cv.notify_all();
      if (last || error) return;
    }
  }

  void submit(Block* b) {
    if (options.compression == Compression::gzip) {
      b->dict = tail;
      if (b->in_size >= kWindow) {
        tail.assign(b->in.begin() + static_cast<std::ptrdiff_t>(b->in_size - kWindow),
                    b->in.begin() + static_cast<std::ptrdiff_t>(b->in_size));
      } else {
        tail.insert(tail.end(), b->in.begin(), b->in.begin() + static_cast<std::ptrdiff_t>(b->in_size));
        if (tail.size() > kWindow) tail.erase(tail.begin(), tail.end() - static_cast<std::ptrdiff_t>(kWindow));
      }
    }
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
    auto room = space();
    if (!room) return std::unexpected(room.error());
    std::size_t n = std::min(room->size(), data.size());
    std::memcpy(room->data(), data.data(), n);
    if (auto r = commit(n); !r) return r;
    data = data.subspan(n);
  }
  return {};
}

Result<void> Pipeline::write_zeros(std::size_t n) {
  while (n > 0) {
    auto room = space();
    if (!room) return std::unexpected(room.error());
    std::size_t k = std::min(room->size(), n);
    std::memset(room->data(), 0, k);
    if (auto r = commit(k); !r) return r;
    n -= k;
  }
  return {};
}

Result<LayerResult> Pipeline::finish() {
  auto& s = *s_;
  // The last block may be empty when the stream ends on a block boundary: it still carries the
  // end of the compressed stream.
  if (auto room = space(); !room) return std::unexpected(room.error());
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
