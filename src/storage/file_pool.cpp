#include "storage/file_pool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>

#include "storage/error.hpp"

namespace ccbt::storage {
namespace {

std::string joined(std::span<const std::string> components) {
  std::string out;
  for (const auto& c : components) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

bool component_ok(std::string_view c) noexcept {
  return !c.empty() && c != "." && c != ".." && c.find('/') == std::string_view::npos &&
         c.find('\0') == std::string_view::npos;
}

// Distinguishes "a symlink is in the way" from other reasons an O_NOFOLLOW open failed.
bool is_symlink_at(int dirfd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace

file_handle::~file_handle() {
  if (fd_ >= 0) ::close(fd_);
}

std::shared_ptr<const file_mapping> file_handle::mapping(std::uint64_t begin, std::uint64_t end) {
  std::lock_guard lock(map_mutex_);
  for (auto it = windows_.begin(); it != windows_.end(); ++it) {
    if ((*it)->covers(begin, end)) {
      std::rotate(windows_.begin(), it, it + 1);
      return windows_.front();
    }
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || st.st_size <= 0 || static_cast<std::uint64_t>(st.st_size) < end) return nullptr;
  const std::uint64_t w0 = begin / mapping_window * mapping_window;
  const std::uint64_t w1 = std::min(static_cast<std::uint64_t>(st.st_size),
                                    (end + mapping_window - 1) / mapping_window * mapping_window);
  auto m = file_mapping::map(fd_, w0, w1 - w0);
  if (!m) return nullptr;
  windows_.insert(windows_.begin(), std::move(*m));
  if (windows_.size() > max_windows) windows_.pop_back();  // unmapped once no read_view holds it
  return windows_.front();
}

void file_handle::drop_mapping(const file_mapping* m) {
  std::lock_guard lock(map_mutex_);
  std::erase_if(windows_, [&](const auto& w) { return w.get() == m; });
}

result<int> open_below(const std::filesystem::path& dir, std::span<const std::string> components,
                       int access, bool create, unsigned mode) {
  const std::string rel = joined(components);
  if (components.empty()) return tl::unexpected(storage_error(errc::unsafe_path, "empty path"));
  for (const auto& c : components)
    if (!component_ok(c)) return tl::unexpected(storage_error(errc::unsafe_path, rel));

  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return tl::unexpected(ccbt::error{ec, std::nullopt, "create directory " + dir.string()});
  }
  fd_guard d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return tl::unexpected(sys_error(errno, "open directory " + dir.string()));

  for (std::size_t i = 0; i + 1 < components.size(); ++i) {
    const std::string& c = components[i];
    if (create && ::mkdirat(d.get(), c.c_str(), 0755) != 0 && errno != EEXIST)
      return tl::unexpected(sys_error(errno, "create directory " + rel));
    const int next = ::openat(d.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      const int err = errno;
      if ((err == ELOOP || err == ENOTDIR) && is_symlink_at(d.get(), c))
        return tl::unexpected(storage_error(errc::symlink_in_path, rel));
      return tl::unexpected(sys_error(err, "open directory " + rel));
    }
    d.reset(next);
  }

  const std::string& name = components.back();
  // O_NONBLOCK: opening a planted FIFO must not block; it is cleared below for the regular file.
  const int flags = access | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0);
  fd_guard f(::openat(d.get(), name.c_str(), flags, static_cast<mode_t>(mode)));
  if (f.get() < 0) {
    const int err = errno;
    if (err == ELOOP && is_symlink_at(d.get(), name))
      return tl::unexpected(storage_error(errc::symlink_in_path, rel));
    return tl::unexpected(sys_error(err, "open " + rel));
  }
  struct stat st {};
  if (::fstat(f.get(), &st) != 0) return tl::unexpected(sys_error(errno, "stat " + rel));
  if (!S_ISREG(st.st_mode)) return tl::unexpected(sys_error(EINVAL, "not a regular file: " + rel));
  const int fl = ::fcntl(f.get(), F_GETFL);
  if (fl < 0 || ::fcntl(f.get(), F_SETFL, fl & ~O_NONBLOCK) != 0)
    return tl::unexpected(sys_error(errno, "fcntl " + rel));
  return f.release();
}

result<void> preallocate(int fd, std::uint64_t size, preallocation mode) {
  if (mode == preallocation::none || size == 0) return {};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return tl::unexpected(sys_error(errno, "stat"));
  const auto cur = static_cast<std::uint64_t>(st.st_size);
  const auto len = static_cast<off_t>(size);
  if (mode == preallocation::full) {
    const auto allocated = static_cast<std::uint64_t>(st.st_blocks) * 512;
    if (allocated >= size) return {};
    if (::fallocate(fd, 0, 0, len) == 0) return {};
    const int err = errno;
    if (err != EOPNOTSUPP && err != ENOSYS && err != EINVAL) return tl::unexpected(sys_error(err, "fallocate"));
    // No fallocate on this filesystem: at least give the file its final size.
  }
  if (cur < size && ::ftruncate(fd, len) != 0) return tl::unexpected(sys_error(errno, "ftruncate"));
  return {};
}

result<std::shared_ptr<file_handle>> file_pool::open(std::uint32_t storage, std::size_t file_index,
                                                     const std::filesystem::path& save_dir,
                                                     const metainfo::file_entry& fe, open_mode mode,
                                                     preallocation prealloc) {
  const key k = (std::uint64_t{storage} << 32) | static_cast<std::uint32_t>(file_index);
  {
    std::lock_guard lock(mutex_);
    if (auto it = map_.find(k); it != map_.end()) {
      if (mode == open_mode::read || it->second->handle->writable()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->handle;
      }
    }
    // Make room first, so that the new descriptor does not take the count over the bound.
    if (max_open_ > 0) evict_locked(max_open_ - 1);
  }
  // Open outside the lock (the filesystem may be slow); a concurrent open of the same file is
  // resolved when inserting.
  const bool write = mode == open_mode::write;
  const unsigned perm = fe.executable() ? 0755u : 0644u;
  auto fd = open_below(save_dir, fe.path_components, write ? O_RDWR : O_RDONLY, write, perm);
  if (!fd) return tl::unexpected(std::move(fd.error()));
  auto handle = std::make_shared<file_handle>(*fd, write);
  if (write) {
    if (auto r = preallocate(*fd, fe.size, prealloc); !r) {
      auto e = std::move(r.error());
      e.context += " " + fe.path;
      return tl::unexpected(std::move(e));
    }
  }

  std::lock_guard lock(mutex_);
  if (auto it = map_.find(k); it != map_.end()) {
    if (!write || it->second->handle->writable()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->handle;  // ours closes when `handle` goes out of scope
    }
    lru_.erase(it->second);  // a read-only handle replaced by a writable one
    map_.erase(it);
  }
  lru_.push_front(entry{k, handle});
  map_.emplace(k, lru_.begin());
  evict_locked(max_open_);
  if (lru_.size() > peak_) peak_ = lru_.size();
  return handle;
}

void file_pool::evict_locked(std::size_t keep) {
  // Close idle handles from the least recently used end; a handle an operation still holds stays.
  auto it = lru_.end();
  while (lru_.size() > keep && it != lru_.begin()) {
    --it;
    if (it->handle.use_count() == 1) {
      map_.erase(it->k);
      it = lru_.erase(it);
    }
  }
}

void file_pool::close_storage(std::uint32_t storage) {
  std::lock_guard lock(mutex_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if ((it->k >> 32) == storage) {
      map_.erase(it->k);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void file_pool::set_max_open(std::size_t n) {
  std::lock_guard lock(mutex_);
  max_open_ = n == 0 ? 1 : n;
  evict_locked(max_open_);
}

std::size_t file_pool::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::size_t file_pool::peak() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace ccbt::storage

