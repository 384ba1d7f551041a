// The daemon's state directory: its lock (one daemon per directory), the API token file and the
// endpoint file clients read. POSIX files only, no asio.
//
// Layout (docs/design/rpc.md): daemon.lock (flock + the pid), api.token (mode 0600), api.endpoint
// ("127.0.0.1:6880"), daemon.db (torrent list), resume.db (the session's fast-resume store),
// daemon.log (stdout/stderr of a background daemon).
#pragma once

#include <filesystem>
#include <string>

#include <ccbt/error.hpp>

namespace ccbt::rpc {

// Creates the directory (mode 0700) and its parents.
[[nodiscard]] result<void> make_state_dir(const std::filesystem::path& dir);

// An exclusive flock on <dir>/daemon.lock holding the pid; released by the destructor (or by the
// kernel when the process dies, even by kill -9).
class instance_lock {
 public:
  [[nodiscard]] static result<instance_lock> acquire(const std::filesystem::path& dir);
  instance_lock(instance_lock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  instance_lock& operator=(instance_lock&&) = delete;
  instance_lock(const instance_lock&) = delete;
  instance_lock& operator=(const instance_lock&) = delete;
  ~instance_lock();

 private:
  explicit instance_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The token in <dir>/api.token, created (64 hex digits from the OS's random source, mode 0600)
// when missing. A token file readable by others is an error (its permissions are named).
[[nodiscard]] result<std::string> load_or_create_token(const std::filesystem::path& dir);
[[nodiscard]] result<std::string> read_token(const std::filesystem::path& dir);

// Writes a small file atomically (temporary file + rename).
[[nodiscard]] result<void> write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace ccbt::rpc
