// file_pool: lazily opened file descriptors of the torrents' files, bounded, least recently used
// closed first, and the only place that turns a torrent path into an open file.
//
// Path safety (defence in depth; torrent_info already sanitises paths): the path must be relative
// with no empty, "." or ".." component, and it is opened one component at a time with openat()
// and O_NOFOLLOW below the download directory, so neither a crafted path nor a symbolic link
// planted inside the download directory can make ccbt touch a file outside it. The download
// directory itself may be (or lie below) a symlink: that is the user's choice. Only regular files
// are opened (a planted FIFO or device is refused without blocking).
//
// Handles are shared: an operation keeps its shared_ptr<file_handle> while it uses the fd, and the
// pool never closes a handle that is in use (it closes it when the last user drops it). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/metainfo.hpp>

#include "storage/file_mapping.hpp"
#include "storage/settings.hpp"

namespace ccbt::storage {

class file_handle {
 public:
  file_handle(int fd, bool writable) noexcept : fd_(fd), writable_(writable) {}
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;
  ~file_handle();

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] bool writable() const noexcept { return writable_; }

  // Held around each write to the file (write_range). The kernel serialises writes to one file on
  // its inode lock, and a writer waiting for it spins while the other copies (rwsem optimistic
  // spinning: 12 % of a downloader's CPU with two workers writing one 1 GiB file); waiting here
  // sleeps instead, leaving the core to the thread that has work.
  [[nodiscard]] std::mutex& write_mutex() noexcept { return write_mutex_; }

  // Mappings (file_mapping) are made in windows of mapping_window bytes (aligned; a range that
  // crosses a boundary gets a window covering it) and the handle keeps the last max_windows used;
  // the mapped pages a process counts in its RSS stay bounded by that (plus what sends in flight
  // hold), whatever the size of the file.
  static constexpr std::uint64_t mapping_window = std::uint64_t{4} << 20;
  static constexpr std::size_t max_windows = 4;

  // A read-only mapping of the file covering [begin, end): a window the handle keeps, or a new one.
  // A read_view using it keeps it alive after the handle dropped it or was closed. Null when the
  // file is shorter than `end` or cannot be mapped: the caller reads with pread instead.
  // Thread-safe.
  [[nodiscard]] std::shared_ptr<const file_mapping> mapping(std::uint64_t begin, std::uint64_t end);
  // Forgets `m` if the handle still keeps it (found stale: the file was truncated).
  void drop_mapping(const file_mapping* m);

 private:
  int fd_;
  bool writable_;
  std::mutex map_mutex_;
  std::mutex write_mutex_;
  std::vector<std::shared_ptr<const file_mapping>> windows_;  // most recently used first
};

enum class open_mode : std::uint8_t { read, write };

// Opens the file at `components` below `dir` (see the path-safety rules above). With `create`,
// missing directories and the file are created (file mode `mode`); `access` is O_RDONLY or O_RDWR.
// Returns the fd (O_CLOEXEC). Errors: errc::unsafe_path, errc::symlink_in_path, or errno.
[[nodiscard]] result<int> open_below(const std::filesystem::path& dir,
                                     std::span<const std::string> components, int access,
                                     bool create, unsigned mode);

// Applies a preallocation mode to an open, writable file whose final size is `size`. Never
// shrinks a file. full: fallocate (ftruncate where the filesystem has no fallocate).
[[nodiscard]] result<void> preallocate(int fd, std::uint64_t size, preallocation mode);

class file_pool {
 public:
  explicit file_pool(std::size_t max_open) : max_open_(max_open == 0 ? 1 : max_open) {}
  file_pool(const file_pool&) = delete;
  file_pool& operator=(const file_pool&) = delete;

  // The handle of file `file_index` of storage `storage`, whose entry is `fe`, below `save_dir`.
  // write: opens O_RDWR, creating parent directories and the file and applying `prealloc` when
  // the file is opened for writing for the first time. read: opens an existing file read-only
  // (an open writable handle is reused). Reopens read-only handles for writing when needed.
  [[nodiscard]] result<std::shared_ptr<file_handle>> open(std::uint32_t storage, std::size_t file_index,
                                                          const std::filesystem::path& save_dir,
                                                          const metainfo::file_entry& fe, open_mode mode,
                                                          preallocation prealloc);

  // Drops the pool's handles of one storage (fds close once no operation uses them).
  void close_storage(std::uint32_t storage);
  void set_max_open(std::size_t n);

  // Handles the pool holds (in use or idle).
  [[nodiscard]] std::size_t size() const;
  // Largest size() seen.
  [[nodiscard]] std::size_t peak() const;

 private:
  using key = std::uint64_t;
  struct entry {
    key k;
    std::shared_ptr<file_handle> handle;
  };
  void evict_locked(std::size_t keep);

  mutable std::mutex mutex_;
  std::size_t max_open_;
  std::size_t peak_ = 0;
  std::list<entry> lru_;  // front: most recently used
  std::unordered_map<key, std::list<entry>::iterator> map_;
};

}  // namespace ccbt::storage
