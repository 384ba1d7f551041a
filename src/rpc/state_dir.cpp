// State directory, lock and token files. See state_dir.hpp.
#include "rpc/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <ccbt/daemon.hpp>
#include <ccbt/hash.hpp>

namespace ccbt::rpc {
namespace {

tl::unexpected<error> fail(errc e, std::string context) { return make_error(e, std::move(context)); }

std::string os_error(const std::filesystem::path& p, int err) { return p.string() + ": " + std::strerror(err); }

}  // namespace

const std::error_category& category() noexcept {
  struct cat : std::error_category {
    const char* name() const noexcept override { return "ccbt.rpc"; }
    std::string message(int c) const override {
      switch (static_cast<errc>(c)) {
        case errc::state_dir_failed: return "state directory unusable";
        case errc::already_running: return "a daemon is already running for this state directory";
        case errc::not_running: return "no daemon is running for this state directory";
        case errc::token_failed: return "API token file unusable";
        case errc::state_db_failed: return "daemon database error";
        case errc::listen_failed: return "cannot listen for the API";
        case errc::connect_failed: return "cannot reach the daemon";
        case errc::protocol_error: return "unexpected answer from the daemon";
        case errc::timeout: return "the daemon did not answer in time";
      }
      return "unknown rpc error";
    }
  };
  static const cat c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

std::filesystem::path default_state_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/') return std::filesystem::path(x) / "ccbt";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".local" / "state" / "ccbt";
}

std::filesystem::path state_dir_of(const settings& s) {
  return s.daemon_state_dir.empty() ? default_state_dir() : std::filesystem::path(s.daemon_state_dir);
}

std::optional<long> running_daemon_pid(const std::filesystem::path& dir) {
  const auto path = dir / "daemon.lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<long> pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0L;
  }
  ::close(fd);
  return pid;
}

result<void> make_state_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(errc::state_dir_failed, dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return fail(errc::state_dir_failed, os_error(dir, errno));
  return {};
}

result<instance_lock> instance_lock::acquire(const std::filesystem::path& dir) {
  const auto path = dir / "daemon.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errc::state_dir_failed, os_error(path, errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK)
      return fail(errc::already_running, path.string() + " is held by pid " + (n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?"));
    return fail(errc::state_dir_failed, os_error(path, err));
  }
  const auto pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return fail(errc::state_dir_failed, os_error(path, err));
  }
  return instance_lock(fd);
}

instance_lock::~instance_lock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

result<std::string> read_token(const std::filesystem::path& dir) {
  const auto path = dir / "api.token";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(errc::token_failed, os_error(path, errno));
  if ((st.st_mode & 077) != 0) {
    std::ostringstream m;
    m << path.string() << " is readable by others (mode " << std::oct << (st.st_mode & 0777) << "; chmod 600 it)";
    return fail(errc::token_failed, m.str());
  }
  std::ifstream in(path);
  char buf[257] = {};
  in.read(buf, sizeof buf - 1);
  std::string_view text(buf, static_cast<std::size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (text.size() < 32 || text.size() >= sizeof buf - 1 || text.find_first_of(" \t\n") != std::string_view::npos)
    return fail(errc::token_failed, path.string() + ": no token in the file");
  return result<std::string>(tl::in_place, text.data(), text.size());
}

result<std::string> load_or_create_token(const std::filesystem::path& dir) {
  const auto path = dir / "api.token";
  if (::access(path.c_str(), F_OK) == 0) return read_token(dir);
  std::array<std::uint8_t, 32> raw{};
  if (::getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size()))
    return fail(errc::token_failed, std::string("getrandom: ") + std::strerror(errno));
  const auto token = to_hex(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size())) + "\n";
  const auto tmp = dir / "api.token.tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errc::token_failed, os_error(tmp, errno));
  const bool ok = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return fail(errc::token_failed, os_error(path, errno));
  return read_token(dir);
}

result<void> write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errc::state_dir_failed, os_error(tmp, errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return fail(errc::state_dir_failed, os_error(path, errno));
  return {};
}

}  // namespace ccbt::rpc
