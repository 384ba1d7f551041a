#include "storage/read_view.hpp"

#include <algorithm>
#include <cstring>

namespace ccbt::storage {
namespace {

constexpr std::size_t zero_bytes = 64 * 1024;
alignas(4096) const char zeros[zero_bytes] = {};

}  // namespace

read_view::read_view(disk_buffer b) : buffer_(std::move(b)), size_(buffer_.size()) {
  if (size_ != 0) segments_.push_back(segment{buffer_.data(), size_});
}

void read_view::add_mapped(std::shared_ptr<const file_mapping> m, const char* data, std::size_t size) {
  if (size == 0) return;
  if (mappings_.empty() || mappings_.back() != m) mappings_.push_back(std::move(m));
  segments_.push_back(segment{data, size});
  size_ += size;
}

void read_view::add_zeros(std::size_t size) {
  size_ += size;
  while (size > 0) {
    const std::size_t take = std::min(size, zero_bytes);
    segments_.push_back(segment{zeros, take});
    size -= take;
  }
}

void read_view::copy_to(std::size_t offset, std::size_t length, char* out) const {
  for_each(offset, length, [&](const char* p, std::size_t n) {
    std::memcpy(out, p, n);
    out += n;
  });
}

}  // namespace ccbt::storage
