// disk_buffer: an owning, move-only handle to a block-sized memory buffer from a buffer_pool.
//
// The session receives a peer's block straight into a disk_buffer and moves it into
// disk_io::async_write (no copy); async_read hands back a disk_buffer the session sends with
// scatter-gather I/O and then drops. Buffers of up to 16 KiB come from the pool's free list
// (4 KiB aligned, reused); larger ones (coalesced reads for seeding, usually of one size) are
// allocated with their size rounded up to a power of two and kept in a second free list, reused for
// the same size class — the allocator would otherwise map and fault them in again each time. Each list holds at most the pool's
// cache bytes. A buffer keeps its pool's state alive, so it may outlive the disk_io that gave it
// out. The pool is thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace ccbt::storage {

namespace detail {
struct pool_state {
  std::mutex mutex;
  std::vector<char*> free;               // cached block_bytes buffers
  std::size_t max_free = 0;              // buffers kept at most
  std::vector<std::pair<char*, std::size_t>> large_free;  // cached larger buffers and their capacity
  std::size_t large_free_bytes = 0;
  std::size_t max_large_free_bytes = 0;
  std::atomic<std::size_t> in_use{0};    // bytes handed out and not yet returned
  std::atomic<std::size_t> allocations{0};  // fresh allocations (cache misses)
  ~pool_state();
  void release(char* p, std::size_t capacity) noexcept;
};
}  // namespace detail

class disk_buffer {
 public:
  disk_buffer() = default;
  disk_buffer(disk_buffer&& o) noexcept { *this = std::move(o); }
  disk_buffer& operator=(disk_buffer&& o) noexcept;
  disk_buffer(const disk_buffer&) = delete;
  disk_buffer& operator=(const disk_buffer&) = delete;
  ~disk_buffer() { reset(); }

  [[nodiscard]] char* data() noexcept { return data_; }
  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] bool empty() const noexcept { return data_ == nullptr; }
  [[nodiscard]] std::span<std::byte> bytes() noexcept {
    return {reinterpret_cast<std::byte*>(data_), size_};
  }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {reinterpret_cast<const std::byte*>(data_), size_};
  }
  [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
  // Sets the logical size (<= capacity()), e.g. after a short receive.
  void resize(std::size_t n) noexcept;
  // Returns the memory to the pool; the buffer becomes empty.
  void reset() noexcept;

 private:
  friend class buffer_pool;
  disk_buffer(std::shared_ptr<detail::pool_state> pool, char* data, std::size_t size,
              std::size_t capacity) noexcept
      : pool_(std::move(pool)), data_(data), size_(size), capacity_(capacity) {}

  std::shared_ptr<detail::pool_state> pool_;
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

class buffer_pool {
 public:
  static constexpr std::size_t block_bytes = 16384;

  // Keeps up to cache_bytes of free block buffers for reuse.
  explicit buffer_pool(std::size_t cache_bytes = std::size_t{8} << 20);

  // A buffer of `size` bytes (contents unspecified). Sizes up to block_bytes share the free list.
  [[nodiscard]] disk_buffer allocate(std::size_t size);

  [[nodiscard]] std::size_t in_use_bytes() const noexcept { return state_->in_use.load(); }
  [[nodiscard]] std::size_t allocations() const noexcept { return state_->allocations.load(); }
  [[nodiscard]] std::size_t cached_buffers() const;        // 16 KiB buffers
  [[nodiscard]] std::size_t cached_large_bytes() const;    // larger buffers

 private:
  std::shared_ptr<detail::pool_state> state_;
};

}  // namespace ccbt::storage
