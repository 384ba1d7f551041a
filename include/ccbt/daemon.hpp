// ccbt::daemon — the long-running ccbt process that `btbt daemon start` runs: one session, the
// list of torrents it serves (persisted in SQLite so a restart or a kill -9 finds them again) and
// the local HTTP/JSON control API (docs/api.md) used by btbt and bitonic.
//
// Invariants: one daemon per state directory (an flock on <state_dir>/daemon.lock, held for the
// process's life, released by the kernel even after kill -9); the API token file is created with
// mode 0600 and the API listens on the configured address (loopback by default); every request
// that changes the torrent list is committed to <state_dir>/daemon.db before it is answered.
//
// No asio here: the implementation lives in src/rpc behind a pointer.
#pragma once

#include <filesystem>
#include <vector>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <ccbt/error.hpp>
#include <ccbt/settings.hpp>

namespace ccbt {

namespace rpc {
enum class errc {
  state_dir_failed = 1,  // the state directory could not be created or is not private
  already_running,       // another daemon holds the state directory's lock (context: its pid)
  not_running,           // no daemon holds the lock
  token_failed,          // the API token file could not be created or read
  state_db_failed,       // daemon.db could not be opened, read or written
  listen_failed,         // the API address could not be bound
  connect_failed,        // a client could not reach the daemon
  protocol_error,        // a client got an answer that is not HTTP/JSON
  timeout,               // a client request took too long
};
[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

// $XDG_STATE_HOME/ccbt, else $HOME/.local/state/ccbt.
[[nodiscard]] std::filesystem::path default_state_dir();
// settings::daemon_state_dir if set, else default_state_dir().
[[nodiscard]] std::filesystem::path state_dir_of(const settings& s);
// The pid of the daemon that holds <state_dir>/daemon.lock; none when no daemon runs there.
[[nodiscard]] std::optional<long> running_daemon_pid(const std::filesystem::path& state_dir);
}  // namespace rpc

struct daemon_options {
  settings config;                            // the loaded configuration ([daemon] keys included)
  std::optional<std::filesystem::path> config_file;  // shown by `config show`; watched for edits
  std::vector<std::string> set_overrides;     // --set section.key=value: re-applied on every reload
  std::filesystem::path state_dir;            // empty: rpc::state_dir_of(config)
};

class daemon {
 public:
  // Takes the state directory's lock, creates the token, opens daemon.db, starts the session,
  // re-adds every stored torrent and binds the API (writing <state_dir>/api.endpoint). Errors:
  // rpc::errc (already_running with the other pid, listen_failed with the address, ...).
  [[nodiscard]] static result<std::unique_ptr<daemon>> start(daemon_options opts);
  ~daemon();  // stop()
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  // Blocks until SIGINT/SIGTERM or an API shutdown request; returns the signal number or 0.
  int wait();
  // Closes the API, stops the session (flushing resume data), releases the lock. Idempotent.
  void stop();

  [[nodiscard]] std::string api_endpoint() const;  // "127.0.0.1:6880"
  [[nodiscard]] const std::filesystem::path& state_dir() const;

 private:
  struct impl;
  explicit daemon(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace ccbt

template <>
struct std::is_error_code_enum<ccbt::rpc::errc> : std::true_type {};
