// read_view: the bytes of one disk_io::async_read_view, for sending — a list of segments pointing
// into file mappings (zero-copy seeding), a shared page of zeros (pad files) or a disk_buffer the
// view owns (pread fallback, blocks still in the write-back buffer).
//
// Invariants: the segments cover [0, size()) in order; the view owns what they point to (mappings by
// shared_ptr, the buffer by value), so a view and the slices taken from it stay valid for as long as
// the view lives, wherever the file handle went. Mapped bytes must only be handed to the kernel
// (sendmsg, writev): a file truncated meanwhile makes that call fail with EFAULT, whereas reading
// them in user space would raise SIGBUS. copy_to() is for tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "storage/disk_buffer.hpp"
#include "storage/file_mapping.hpp"

namespace ccbt::storage {

class read_view {
 public:
  struct segment {
    const char* data;
    std::size_t size;
  };

  read_view() = default;
  explicit read_view(disk_buffer b);
  read_view(read_view&&) noexcept = default;
  read_view& operator=(read_view&&) noexcept = default;
  read_view(const read_view&) = delete;
  read_view& operator=(const read_view&) = delete;

  // Appends `size` bytes at `data` inside mapping `m`.
  void add_mapped(std::shared_ptr<const file_mapping> m, const char* data, std::size_t size);
  // Appends `size` zero bytes.
  void add_zeros(std::size_t size);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool mapped() const noexcept { return !mappings_.empty(); }
  [[nodiscard]] const std::vector<segment>& segments() const noexcept { return segments_; }

  // Calls f(const char* data, std::size_t size) for the pieces of [offset, offset + length), in order.
  template <class F>
  void for_each(std::size_t offset, std::size_t length, F&& f) const {
    for (const auto& s : segments_) {
      if (length == 0) break;
      if (offset >= s.size) {
        offset -= s.size;
        continue;
      }
      const std::size_t take = s.size - offset < length ? s.size - offset : length;
      f(s.data + offset, take);
      length -= take;
      offset = 0;
    }
  }

  // Copies [offset, offset + length) to `out` (reads mapped bytes: tests and diagnostics only).
  void copy_to(std::size_t offset, std::size_t length, char* out) const;

 private:
  std::vector<segment> segments_;
  std::vector<std::shared_ptr<const file_mapping>> mappings_;  // distinct, in order of use
  disk_buffer buffer_;
  std::size_t size_ = 0;
};

}  // namespace ccbt::storage
