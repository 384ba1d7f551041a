#include "storage/file_mapping.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <limits>

#include "storage/error.hpp"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14 (uapi value); older kernels answer EINVAL
#endif

namespace ccbt::storage {
namespace {

// Cleared the first time the kernel refuses MADV_POPULATE_READ (older than 5.14).
std::atomic<bool> populate_supported{true};

std::uint64_t page_size() noexcept {
  static const auto p = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return p;
}

}  // namespace

result<std::shared_ptr<const file_mapping>> file_mapping::map(int fd, std::uint64_t offset, std::uint64_t size) {
  if (size == 0 || size > static_cast<std::uint64_t>(SIZE_MAX) || offset % page_size() != 0 ||
      offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()))
    return tl::unexpected(sys_error(EINVAL, "mmap: window"));
  void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) return tl::unexpected(sys_error(errno, "mmap"));
  // The file is served in runs of blocks in increasing order: read ahead generously.
  (void)::madvise(p, static_cast<std::size_t>(size), MADV_SEQUENTIAL);
  return std::shared_ptr<const file_mapping>(new file_mapping(static_cast<const char*>(p), offset, size));
}

file_mapping::~file_mapping() {
  ::munmap(const_cast<char*>(data_), static_cast<std::size_t>(size_));
}

result<void> file_mapping::populate(std::uint64_t file_offset, std::uint64_t length) const {
  if (length == 0) return {};
  if (file_offset < offset_ || file_offset - offset_ > size_ || length > size_ - (file_offset - offset_))
    return tl::unexpected(sys_error(EFAULT, "populate: outside the mapping"));
  const std::uint64_t offset = file_offset - offset_;
  const std::uint64_t begin = offset & ~(page_size() - 1);
  auto* addr = const_cast<char*>(data_) + begin;
  const auto len = static_cast<std::size_t>(offset + length - begin);
  if (populate_supported.load(std::memory_order_relaxed)) {
    for (;;) {
      if (::madvise(addr, len, MADV_POPULATE_READ) == 0) return {};
      const int err = errno;
      if (err == EINTR || err == EAGAIN) continue;
      if (err == EINVAL) {
        populate_supported.store(false, std::memory_order_relaxed);
        break;
      }
      return tl::unexpected(sys_error(err, "madvise(MADV_POPULATE_READ)"));
    }
  }
  // Older kernels: start the read-ahead; sendmsg faults the pages in (a truncated file then shows
  // as EFAULT from sendmsg).
  if (::madvise(addr, len, MADV_WILLNEED) != 0) return tl::unexpected(sys_error(errno, "madvise(MADV_WILLNEED)"));
  return {};
}

}  // namespace ccbt::storage
