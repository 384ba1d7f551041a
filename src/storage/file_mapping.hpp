// file_mapping: a read-only, shared memory mapping of a window of a file, for zero-copy seeding.
//
// Invariants: the mapping covers [offset(), offset() + size()) of the file, which the file held when
// it was mapped; offset() is a multiple of the page size; it stays valid
// (munmap only in the destructor) for as long as a shared_ptr to it lives — the file handle that
// made it and every read_view a send is using — whatever happens to the descriptor or the file.
// ccbt never dereferences mapped bytes on the send path: they are only handed to the kernel
// (sendmsg), so a file truncated behind our back makes the kernel's copy fail with EFAULT instead of
// raising SIGBUS in the process. populate() prefaults the page tables of a range on a disk worker
// (MADV_POPULATE_READ, Linux 5.14; MADV_WILLNEED before that) so that the network thread's sendmsg
// neither faults page by page nor blocks on the disk; it reports a range past the end of the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <ccbt/error.hpp>

namespace ccbt::storage {

class file_mapping {
 public:
  // Maps [offset, offset + size) of `fd` read-only (MAP_SHARED). size > 0; offset page-aligned.
  [[nodiscard]] static result<std::shared_ptr<const file_mapping>> map(int fd, std::uint64_t offset,
                                                                        std::uint64_t size);

  file_mapping(const file_mapping&) = delete;
  file_mapping& operator=(const file_mapping&) = delete;
  ~file_mapping();

  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] bool covers(std::uint64_t begin, std::uint64_t end) const noexcept {
    return begin >= offset_ && end <= offset_ + size_;
  }
  // Where byte `file_offset` of the file is mapped (covers() it).
  [[nodiscard]] const char* at(std::uint64_t file_offset) const noexcept { return data_ + (file_offset - offset_); }

  // Faults in the pages of file bytes [file_offset, file_offset + length) (page tables populated,
  // data read from the disk if it was not cached). Error EFAULT: part of the range is past the end of
  // the file now (truncated since it was mapped) or outside the window. Other errors: the advice is
  // not supported.
  [[nodiscard]] result<void> populate(std::uint64_t file_offset, std::uint64_t length) const;

 private:
  file_mapping(const char* data, std::uint64_t offset, std::uint64_t size) noexcept
      : data_(data), offset_(offset), size_(size) {}
  const char* data_;
  std::uint64_t offset_;
  std::uint64_t size_;
};

}  // namespace ccbt::storage
