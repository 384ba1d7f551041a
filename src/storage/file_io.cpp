#include "storage/file_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

#include "storage/error.hpp"
#include "storage/layout.hpp"

namespace ccbt::storage {
namespace {

constexpr std::size_t max_iov = IOV_MAX;

// pwritev of all of `iov` at `offset`, resuming after short writes and EINTR.
result<void> pwrite_all(int fd, std::vector<iovec>& iov, std::uint64_t offset, io_counters& c,
                        const std::string& path) {
  std::size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min(iov.size() - first, max_iov));
    const ssize_t n = ::pwritev(fd, iov.data() + first, count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(sys_error(errno, "write " + path));
    }
    c.write_ops.fetch_add(1, std::memory_order_relaxed);
    c.bytes_written.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    offset += static_cast<std::uint64_t>(n);
    auto left = static_cast<std::size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return {};
}

// The part [off, off + len) of the concatenation of `blocks`, as iovecs.
void sub_iov(std::span<const iovec> blocks, std::uint64_t off, std::uint64_t len, std::vector<iovec>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < blocks.size() && off >= blocks[i].iov_len) {
    off -= blocks[i].iov_len;
    ++i;
  }
  for (; i < blocks.size() && len > 0; ++i) {
    const std::uint64_t take = std::min<std::uint64_t>(blocks[i].iov_len - off, len);
    out.push_back(iovec{static_cast<char*>(blocks[i].iov_base) + off, static_cast<std::size_t>(take)});
    len -= take;
    off = 0;
  }
}

}  // namespace

result<void> read_range(const io_env& io, const storage_config& cfg, std::uint64_t start, char* out,
                        std::uint64_t length) {
  const auto& files = cfg.info->files();
  result<void> status;
  std::uint64_t covered = 0;
  for_each_slice(files, start, length, [&](const range_slice& s) {
    if (!status) return;
    covered += s.length;
    char* dst = out + s.range_offset;
    if (s.pad) {
      std::memset(dst, 0, static_cast<std::size_t>(s.length));
      return;
    }
    const auto& fe = files[s.file_index];
    auto h = io.files.open(cfg.id, s.file_index, cfg.save, fe, open_mode::read, io.prealloc);
    if (!h) {
      status = tl::unexpected(std::move(h.error()));
      return;
    }
    std::uint64_t done = 0;
    while (done < s.length) {
      const ssize_t n = ::pread((*h)->fd(), dst + done, static_cast<std::size_t>(s.length - done),
                                static_cast<off_t>(s.file_offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        status = tl::unexpected(sys_error(errno, "read " + fe.path));
        return;
      }
      io.counters.read_ops.fetch_add(1, std::memory_order_relaxed);
      if (n == 0) {
        status = tl::unexpected(storage_error(errc::file_too_short, fe.path));
        return;
      }
      done += static_cast<std::uint64_t>(n);
    }
  });
  if (status && covered != length) return tl::unexpected(storage_error(errc::invalid_read, "past the end"));
  return status;
}

result<void> write_range(const io_env& io, const storage_config& cfg, std::uint64_t start,
                         std::span<const iovec> blocks, bool* skipped_unwanted) {
  std::uint64_t length = 0;
  for (const auto& b : blocks) length += b.iov_len;
  const auto& files = cfg.info->files();
  result<void> status;
  std::vector<iovec> iov;
  for_each_slice(files, start, length, [&](const range_slice& s) {
    if (!status || s.pad) return;
    if (!cfg.wanted(s.file_index)) {
      if (skipped_unwanted != nullptr) *skipped_unwanted = true;
      return;
    }
    const auto& fe = files[s.file_index];
    auto h = io.files.open(cfg.id, s.file_index, cfg.save, fe, open_mode::write, io.prealloc);
    if (!h) {
      status = tl::unexpected(std::move(h.error()));
      return;
    }
    sub_iov(blocks, s.range_offset, s.length, iov);
    std::lock_guard lock((*h)->write_mutex());
    status = pwrite_all((*h)->fd(), iov, s.file_offset, io.counters, fe.path);
  });
  return status;
}

result<void> sync_range(const io_env& io, const storage_config& cfg, std::uint64_t start,
                        std::uint64_t length) {
  const auto& files = cfg.info->files();
  result<void> status;
  for_each_slice(files, start, length, [&](const range_slice& s) {
    if (!status || s.pad || !cfg.wanted(s.file_index)) return;
    const auto& fe = files[s.file_index];
    auto h = io.files.open(cfg.id, s.file_index, cfg.save, fe, open_mode::write, io.prealloc);
    if (!h) {
      status = tl::unexpected(std::move(h.error()));
      return;
    }
    if (::fdatasync((*h)->fd()) != 0) status = tl::unexpected(sys_error(errno, "fdatasync " + fe.path));
  });
  return status;
}

bool touches_unwanted(const storage_config& cfg, std::uint64_t start, std::uint64_t length) {
  if (!cfg.any_unwanted) return false;
  bool found = false;
  for_each_slice(cfg.info->files(), start, length, [&](const range_slice& s) {
    if (!s.pad && !cfg.wanted(s.file_index)) found = true;
  });
  return found;
}

}  // namespace ccbt::storage
