// hash_files(): batches of whole pieces, pread into a reused buffer, SHA-1 and/or SHA-256 per
// 16 KiB block, on worker threads; the calling thread reports progress.
#include "creator/hasher.hpp"
#include "creator/errno_context.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <new>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"

namespace ccbt::creator {
namespace {

constexpr std::uint64_t block = metainfo::merkle::block_size;

using detail::errno_context;

struct shared_state {
  explicit shared_state(const layout& lay) : l(lay) {}

  const layout& l;
  bool v1 = false;
  bool v2 = false;
  std::uint64_t piece_length = 0;
  std::uint64_t num_pieces = 0;
  std::uint64_t batch_pieces = 0;
  std::uint64_t num_batches = 0;
  std::size_t read_size = 0;
  const std::atomic<bool>* cancel = nullptr;

  // Files that occupy bytes (size > 0, pads included), by position: index into l.files, and end.
  std::vector<std::size_t> spans;
  std::vector<std::uint64_t> span_ends;

  std::vector<sha1_hash>* pieces = nullptr;  // v1 output
  std::vector<sha256_hash> nodes;            // v2: piece-level node of every piece

  std::atomic<std::uint64_t> next_batch{0};
  std::atomic<std::uint64_t> done_bytes{0};
  std::atomic<bool> stop{false};

  std::mutex mu;
  std::condition_variable cv;
  unsigned running = 0;
  std::optional<error> first_error;

  void fail(error e) {
    std::lock_guard lock(mu);
    if (!first_error) first_error = std::move(e);
    stop.store(true, std::memory_order_relaxed);
  }
  void finished() {
    std::lock_guard lock(mu);
    --running;
    cv.notify_all();
  }
  // Position in `spans` of the file holding byte `pos`.
  [[nodiscard]] std::size_t span_at(std::uint64_t pos) const {
    return static_cast<std::size_t>(std::upper_bound(span_ends.begin(), span_ends.end(), pos) - span_ends.begin());
  }
};

class worker {
 public:
  explicit worker(shared_state& s)
      : s_(s), buf_(std::make_unique<std::uint8_t[]>(s.read_size)) {}
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker() {
    if (fd_ >= 0) ::close(fd_);
  }

  void run() {
    for (;;) {
      if (s_.stop.load(std::memory_order_relaxed)) break;
      const std::uint64_t b = s_.next_batch.fetch_add(1, std::memory_order_relaxed);
      if (b >= s_.num_batches) break;
      if (auto r = do_batch(b); !r) {
        s_.fail(std::move(r.error()));
        break;
      }
    }
    if (auto r = close_file(); !r) s_.fail(std::move(r.error()));
  }

 private:
  result<void> do_batch(std::uint64_t b) {
    const std::uint64_t pl = s_.piece_length;
    const std::uint64_t p0 = b * s_.batch_pieces;
    const std::uint64_t p1 = std::min(p0 + s_.batch_pieces, s_.num_pieces);
    std::uint64_t pos = p0 * pl;
    const std::uint64_t end = std::min(p1 * pl, s_.l.total_size);
    start_piece(p0);
    while (pos < end) {
      if (s_.stop.load(std::memory_order_relaxed)) return {};
      if (s_.cancel != nullptr && s_.cancel->load(std::memory_order_relaxed))
        return make_error(errc::cancelled, s_.l.name);
      const std::uint64_t n = std::min<std::uint64_t>(s_.read_size, end - pos);
      if (auto r = fill(pos, n); !r) return r;
      consume(pos, n);
      pos += n;
    }
    return {};
  }

  // Reads the byte space [pos, pos + n) into buf_: file data with pread, pad files as zeros
  // (only needed when SHA-1 sees them).
  result<void> fill(std::uint64_t pos, std::uint64_t n) {
    std::uint64_t off = pos;
    const std::uint64_t end = pos + n;
    for (std::size_t k = s_.span_at(pos); off < end; ++k) {
      const std::size_t idx = s_.spans[k];
      const layout_file& f = s_.l.files[idx];
      const std::uint64_t seg_end = std::min(end, f.offset + f.size);
      std::uint8_t* dst = buf_.get() + (off - pos);
      if (f.pad) {
        if (s_.v1) std::memset(dst, 0, seg_end - off);
      } else if (auto r = read(idx, off - f.offset, dst, seg_end - off); !r) {
        return r;
      }
      off = seg_end;
    }
    return {};
  }

  result<void> read(std::size_t idx, std::uint64_t file_off, std::uint8_t* dst, std::uint64_t len) {
    const layout_file& f = s_.l.files[idx];
    if (fd_idx_ != idx || fd_ < 0) {
      if (auto r = close_file(); !r) return r;
      fd_ = ::open(f.disk_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return make_error(errc::read_failed, errno_context(f.disk_path, "cannot open", errno));
      fd_idx_ = idx;
      if (auto r = check_size(); !r) return r;
      ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    const std::uint64_t total = len;
    while (len > 0) {
      const ssize_t r = ::pread(fd_, dst, len, static_cast<off_t>(file_off));
      if (r < 0) {
        if (errno == EINTR) continue;
        return make_error(errc::read_failed, errno_context(f.disk_path, "read error", errno), file_off);
      }
      if (r == 0) return make_error(errc::file_changed, f.disk_path.string() + ": file shrank while hashing", file_off);
      dst += r;
      file_off += static_cast<std::uint64_t>(r);
      len -= static_cast<std::uint64_t>(r);
    }
    s_.done_bytes.fetch_add(total, std::memory_order_relaxed);
    return {};
  }

  result<void> check_size() {
    const layout_file& f = s_.l.files[fd_idx_];
    struct ::stat st {};
    if (::fstat(fd_, &st) != 0) return make_error(errc::read_failed, errno_context(f.disk_path, "cannot stat", errno));
    if (static_cast<std::uint64_t>(st.st_size) != f.size)
      return make_error(errc::file_changed, f.disk_path.string() + ": size changed from " + std::to_string(f.size) +
                                                " to " + std::to_string(st.st_size) + " bytes");
    return {};
  }

  result<void> close_file() {
    if (fd_ < 0) return {};
    auto r = check_size();
    ::close(fd_);
    fd_ = -1;
    return r;
  }

  // Prepares the per-piece state for piece p (v2: which file it belongs to).
  void start_piece(std::uint64_t p) {
    piece_ = p;
    piece_end_ = std::min((p + 1) * s_.piece_length, s_.l.total_size);
    leaves_.clear();
    if (s_.v2 && p < s_.num_pieces) {
      // In a v2 layout every piece starts inside exactly one real file (files are piece-aligned and
      // pads are shorter than a piece).
      const layout_file& f = s_.l.files[s_.spans[s_.span_at(p * s_.piece_length)]];
      file_end_ = f.offset + f.size;
      file_size_ = f.size;
    }
  }

  void consume(std::uint64_t pos, std::uint64_t n) {
    const std::uint64_t end = pos + n;
    std::uint64_t off = pos;
    while (off < end) {
      const std::uint64_t take_end = std::min(piece_end_, end);
      if (s_.v2) {
        // Block by block so that each 16 KiB block is still in cache for the second hash.
        while (off < take_end) {
          const std::uint64_t bend = std::min(off + block, take_end);
          const auto* p = reinterpret_cast<const char*>(buf_.get() + (off - pos));
          if (s_.v1) sha1_.update(std::string_view(p, bend - off));
          if (off < file_end_) {
            const std::uint64_t dend = std::min(bend, file_end_);
            leaves_.push_back(sha256_.update(std::string_view(p, dend - off)).finish());
          }
          off = bend;
        }
      } else {
        sha1_.update(std::string_view(reinterpret_cast<const char*>(buf_.get() + (off - pos)), take_end - off));
        off = take_end;
      }
      if (off == piece_end_) {
        finish_piece();
        start_piece(piece_ + 1);
      }
    }
  }

  void finish_piece() {
    if (s_.v1) (*s_.pieces)[piece_] = sha1_.finish();
    if (s_.v2) {
      // A piece of a multi-piece file is a full subtree of piece_length / 16 KiB leaves; a file of
      // one piece or less is its own tree, padded to the next power of two of its blocks.
      const std::uint64_t width = file_size_ > s_.piece_length ? s_.piece_length / block
                                                               : metainfo::merkle::next_pow2(leaves_.size());
      leaves_.resize(static_cast<std::size_t>(width));  // zero leaves
      for (std::size_t w = leaves_.size(); w > 1; w /= 2) {
        for (std::size_t i = 0; i < w / 2; ++i)
          leaves_[i] = sha256_.update(leaves_[2 * i].view()).update(leaves_[2 * i + 1].view()).finish();
      }
      s_.nodes[piece_] = leaves_.front();
    }
  }

  shared_state& s_;
  std::unique_ptr<std::uint8_t[]> buf_;
  int fd_ = -1;
  std::size_t fd_idx_ = 0;

  crypto::sha1 sha1_;
  crypto::sha256 sha256_;
  std::vector<sha256_hash> leaves_;
  std::uint64_t piece_ = 0;
  std::uint64_t piece_end_ = 0;
  std::uint64_t file_end_ = 0;
  std::uint64_t file_size_ = 0;
};

}  // namespace

result<torrent_hashes> hash_files(const layout& l, const hash_options& opts) {
  torrent_hashes out;
  shared_state s(l);
  s.v1 = l.has_v1();
  s.v2 = l.has_v2();
  s.piece_length = l.piece_length;
  s.num_pieces = l.num_pieces();
  s.cancel = opts.cancel;
  s.read_size = static_cast<std::size_t>(
      std::max<std::uint64_t>(block, (std::uint64_t{opts.read_size} + block - 1) / block * block));

  for (std::size_t i = 0; i < l.files.size(); ++i) {
    if (l.files[i].size == 0) continue;
    s.spans.push_back(i);
    s.span_ends.push_back(l.files[i].offset + l.files[i].size);
  }
  if (s.v1) out.pieces.resize(static_cast<std::size_t>(s.num_pieces));
  s.pieces = &out.pieces;
  if (s.v2) s.nodes.resize(static_cast<std::size_t>(s.num_pieces));

  unsigned threads = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  // Batches of whole pieces: big enough for long sequential reads, small enough (at least ~4 per
  // thread) that the threads finish together.
  const std::uint64_t target =
      std::clamp<std::uint64_t>(l.total_size / (std::uint64_t{threads} * 4), 256 * 1024, 16 * 1024 * 1024);
  s.batch_pieces = std::max<std::uint64_t>(1, target / l.piece_length);
  s.num_batches = (s.num_pieces + s.batch_pieces - 1) / s.batch_pieces;
  threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, s.num_batches));

  std::vector<std::thread> pool;
  pool.reserve(threads);
  auto work = [&s] {
    try {
      worker w(s);
      w.run();
    } catch (const std::bad_alloc&) {
      s.fail(error{make_error_code(errc::too_large), std::nullopt, "out of memory for the read buffer"});
    }
    s.finished();
  };
  for (unsigned t = 0; t < threads; ++t) {
    {
      std::lock_guard lock(s.mu);
      ++s.running;
    }
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {  // out of threads: carry on with those we have
      std::lock_guard lock(s.mu);
      --s.running;
      break;
    }
  }
  if (pool.empty()) {  // not even one: hash on the calling thread (progress only at the end)
    s.running = 1;
    work();
  }
  std::exception_ptr callback_error;  // a throwing progress callback stops the workers first
  {
    std::unique_lock lock(s.mu);
    while (s.running > 0) {
      s.cv.wait_for(lock, std::chrono::milliseconds(100));
      if (opts.progress && s.running > 0 && !s.first_error && !callback_error) {
        lock.unlock();
        try {
          opts.progress(s.done_bytes.load(std::memory_order_relaxed), l.content_size);
        } catch (...) {
          callback_error = std::current_exception();
          s.stop.store(true);
        }
        lock.lock();
      }
    }
  }
  for (auto& t : pool) t.join();
  if (callback_error) std::rethrow_exception(callback_error);
  if (s.first_error) return tl::unexpected(std::move(*s.first_error));
  if (opts.cancel != nullptr && opts.cancel->load()) return make_error(errc::cancelled, l.name);
  if (opts.progress) opts.progress(l.content_size, l.content_size);

  if (s.v2) {
    out.roots.resize(l.files.size());
    out.layers.resize(l.files.size());
    for (std::size_t i = 0; i < l.files.size(); ++i) {
      const layout_file& f = l.files[i];
      if (f.pad || f.size == 0) continue;
      const std::uint64_t first = f.offset / l.piece_length;
      const std::uint64_t count = (f.size + l.piece_length - 1) / l.piece_length;
      if (count == 1) {
        out.roots[i] = s.nodes[static_cast<std::size_t>(first)];
        continue;
      }
      const auto b = s.nodes.begin() + static_cast<std::ptrdiff_t>(first);
      out.layers[i].assign(b, b + static_cast<std::ptrdiff_t>(count));
      out.roots[i] = metainfo::merkle::root_from_piece_layer(out.layers[i], l.piece_length);
    }
  }
  return out;
}

}  // namespace ccbt::creator
