// Positional file I/O in piece space: ranges of a torrent's linear piece space are mapped to its
// files (pad files read as zeros and are never written; files of priority 0 are skipped on write)
// and read or written through the file pool. Blocking; called on worker threads only.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/metainfo.hpp>

#include "storage/file_pool.hpp"
#include "storage/settings.hpp"

namespace ccbt::storage {

// What the I/O functions need to know about a storage. Immutable once shared: a change of
// priorities or metainfo makes a new one, so workers use a consistent snapshot without the lock.
struct storage_config {
  std::uint32_t id = 0;
  std::shared_ptr<const metainfo::torrent_info> info;
  std::filesystem::path save;
  std::vector<std::uint8_t> priorities;  // empty: every file wanted
  bool any_unwanted = false;

  [[nodiscard]] bool wanted(std::size_t file) const noexcept {
    return file >= priorities.size() || priorities[file] != 0;
  }
};

struct io_counters {
  std::atomic<std::uint64_t> bytes_written{0};
  std::atomic<std::uint64_t> write_ops{0};
  std::atomic<std::uint64_t> read_ops{0};
};

struct io_env {
  file_pool& files;
  io_counters& counters;
  preallocation prealloc;
};

// Reads [start, start + length) of the piece space into `out`. Errors: the OS error of a missing
// or unreadable file, errc::file_too_short when a file ends early.
[[nodiscard]] result<void> read_range(const io_env& io, const storage_config& cfg,
                                      std::uint64_t start, char* out, std::uint64_t length);

// Writes the buffers `blocks` (consecutive in piece space, starting at `start`) with one pwritev
// per file they cover. Sets *skipped_unwanted when bytes of a priority-0 file were dropped.
[[nodiscard]] result<void> write_range(const io_env& io, const storage_config& cfg,
                                       std::uint64_t start, std::span<const iovec> blocks,
                                       bool* skipped_unwanted);

// fdatasync of every wanted file that [start, start + length) touches.
[[nodiscard]] result<void> sync_range(const io_env& io, const storage_config& cfg,
                                      std::uint64_t start, std::uint64_t length);

// True when [start, start + length) touches a file of priority 0.
[[nodiscard]] bool touches_unwanted(const storage_config& cfg, std::uint64_t start, std::uint64_t length);

}  // namespace ccbt::storage
