#include "storage/disk_buffer.hpp"

#include <bit>
#include <cassert>
#include <new>
#include <utility>

namespace ccbt::storage {
namespace {

constexpr std::align_val_t buffer_alignment{4096};

char* allocate_raw(std::size_t capacity) {
  return static_cast<char*>(::operator new(capacity, buffer_alignment));
}
void free_raw(char* p) noexcept { ::operator delete(p, buffer_alignment); }

}  // namespace

namespace detail {

pool_state::~pool_state() {
  for (char* p : free) free_raw(p);
  for (auto& [p, capacity] : large_free) free_raw(p);
}

void pool_state::release(char* p, std::size_t capacity) noexcept {
  in_use.fetch_sub(capacity, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex);
    if (capacity == buffer_pool::block_bytes) {
      if (free.size() < max_free) {
        free.push_back(p);
        return;
      }
    } else if (capacity <= max_large_free_bytes) {
      // Full: the oldest cached buffers (likely of a size no longer asked for) make room.
      while (large_free_bytes + capacity > max_large_free_bytes) {
        free_raw(large_free.front().first);
        large_free_bytes -= large_free.front().second;
        large_free.erase(large_free.begin());
      }
      try {
        large_free.emplace_back(p, capacity);
        large_free_bytes += capacity;
        return;
      } catch (const std::bad_alloc&) {  // no room to remember it: free it below
      }
    }
  }
  free_raw(p);
}

}  // namespace detail

disk_buffer& disk_buffer::operator=(disk_buffer&& o) noexcept {
  if (this != &o) {
    reset();
    pool_ = std::move(o.pool_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
  }
  return *this;
}

void disk_buffer::resize(std::size_t n) noexcept {
  assert(n <= capacity_);
  size_ = n;
}

void disk_buffer::reset() noexcept {
  if (data_ != nullptr) pool_->release(data_, capacity_);
  pool_.reset();
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

buffer_pool::buffer_pool(std::size_t cache_bytes) : state_(std::make_shared<detail::pool_state>()) {
  state_->max_free = cache_bytes / block_bytes;
  state_->max_large_free_bytes = cache_bytes;
}

disk_buffer buffer_pool::allocate(std::size_t size) {
  // Larger buffers are rounded up to a power of two so that reads of varying lengths (coalesced
  // runs of requested blocks) reuse each other's buffers: exact sizes rarely repeat, and a fresh
  // allocation of 1 MiB is an mmap whose pages all fault in again (measured: 150-220k page faults
  // per GiB seeded).
  const std::size_t capacity = size <= block_bytes ? block_bytes : std::bit_ceil(size);
  char* p = nullptr;
  {
    std::lock_guard lock(state_->mutex);
    if (capacity == block_bytes) {
      if (!state_->free.empty()) {
        p = state_->free.back();
        state_->free.pop_back();
      }
    } else {
      auto& large = state_->large_free;
      for (std::size_t i = large.size(); i-- > 0;) {
        if (large[i].second != capacity) continue;
        p = large[i].first;
        large[i] = large.back();
        large.pop_back();
        state_->large_free_bytes -= capacity;
        break;
      }
    }
  }
  if (p == nullptr) {
    p = allocate_raw(capacity);
    state_->allocations.fetch_add(1, std::memory_order_relaxed);
  }
  state_->in_use.fetch_add(capacity, std::memory_order_relaxed);
  return disk_buffer(state_, p, size, capacity);
}

std::size_t buffer_pool::cached_buffers() const {
  std::lock_guard lock(state_->mutex);
  return state_->free.size();
}

std::size_t buffer_pool::cached_large_bytes() const {
  std::lock_guard lock(state_->mutex);
  return state_->large_free_bytes;
}

}  // namespace ccbt::storage
