// Configuration: ccbt.toml <-> ccbt::settings, environment and command-line overrides, validation,
// diffs for hot reload and an inotify watcher that reloads on edit.
//
// One table of key descriptors (keys()) is the source of truth: it parses the TOML file, applies
// CCBT_SECTION__KEY environment variables and `--set section.key=value` options, renders settings
// back to TOML (the sample ccbt.toml.example is exactly to_toml(settings{})) and generates the key
// tables of docs/configuration.md. Precedence, lowest first: defaults, the file, the environment,
// the command line.
//
// Invariants: a loaded configuration always satisfies validate() (every key in its range, and the
// rules that tie keys together). Errors name the key (`network.max_connections`), what was expected
// and where the value came from (file:line:column, environment variable or --set). Unknown keys are
// warnings that suggest the closest known key, never errors, so an old binary reads a newer file.
// Everything here is pure except load() (reads files and the environment) and watcher (a thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/settings.hpp>

namespace ccbt::config {

enum class errc {
  file_not_found = 1,  // --config names a file that does not exist
  read_failed,         // the file exists but could not be read
  input_too_large,     // larger than max_file_size
  syntax_error,        // not valid TOML (context: file:line:column and what is wrong)
  wrong_type,          // a value of the wrong type (a string where an integer is expected, ...)
  out_of_range,        // a number or length outside the key's range
  invalid_value,       // a string that is not an allowed value or is malformed
  inconsistent,        // keys that contradict each other (min_request_queue > max_request_queue)
  unknown_key,         // --set names a key that does not exist
  bad_override,        // --set text that is not section.key=value
  no_file,             // the watcher has no file to watch (the defaults are in use)
  watch_failed,        // inotify could not be set up
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

// Largest configuration file accepted (a real one is a few KiB).
inline constexpr std::size_t max_file_size = std::size_t{1} << 20;

// ---- the key table

enum class value_type : std::uint8_t {
  boolean,      // true / false
  integer,      // a TOML integer
  size,         // bytes (or bytes/s): an integer, or a string with a unit such as "16 MiB"
  string,
  string_list,  // an array of strings (a single string is read as a one-element list)
  choice,       // one of a fixed set of strings
};

enum class apply_mode : std::uint8_t { live, restart };

struct key_info {
  std::string_view section;
  std::string_view key;
  value_type type;
  apply_mode mode;
  std::string_view unit;                       // "ms", "s", "bytes", "bytes/s" or ""
  std::int64_t min;                            // integer/size: value; string: length; list: entries
  std::int64_t max;
  std::span<const std::string_view> choices;   // type choice: the allowed values
  std::string_view description;                // one sentence, for the docs and the sample file

  [[nodiscard]] std::string name() const;      // "section.key"
};

// Every key, grouped by section in documentation order.
[[nodiscard]] std::span<const key_info> keys() noexcept;
// The sections of keys(), in order.
[[nodiscard]] std::vector<std::string_view> sections();
// "network.max_connections" -> its descriptor, or nullptr.
[[nodiscard]] const key_info* find_key(std::string_view name) noexcept;
// The known key closest to a misspelt one ("network.max_conections", or a key in the wrong section),
// or "" when nothing is close.
[[nodiscard]] std::string closest_key(std::string_view name);
// A key's value in s as TOML text: 200, "rarest_first", ["0.0.0.0:6881"], "16 MiB".
[[nodiscard]] std::string value_to_toml(const settings& s, const key_info& k);
// "an integer in 1..65535", "one of \"none\", \"sparse\", \"full\"", ... for messages and docs.
[[nodiscard]] std::string expected_value(const key_info& k);

// ---- loading

enum class value_source : std::uint8_t { default_value, file, environment, command_line };

// A warning: an unknown key (with the closest known key), or a value kept for compatibility.
struct diagnostic {
  std::string key;          // as written: "network.max_conections" or "CCBT_NETWORK__MAX_CONECTIONS"
  std::string suggestion;   // closest known key, or ""
  std::string message;      // one line for users, with the location and the suggestion
  std::uint32_t line = 0;   // 1-based in the file; 0 when not from the file
  std::uint32_t column = 0;
};

struct loaded_config {
  settings values;
  std::optional<std::filesystem::path> file;  // the file read; none = no file found, defaults used
  std::vector<diagnostic> warnings;
  std::map<std::string, value_source, std::less<>> sources;  // keys set by a file/env/CLI

  [[nodiscard]] value_source source_of(std::string_view key) const;
};

// Parses a TOML document over `base` (defaults unless given). source_name is used in messages.
[[nodiscard]] result<loaded_config> parse(std::string_view text, std::string_view source_name = "ccbt.toml",
                                          const settings& base = {});

// Where to look for ccbt.toml. from_environment() fills it from the process ($XDG_CONFIG_HOME,
// $HOME, the working directory).
struct search_paths {
  std::optional<std::filesystem::path> explicit_path;    // --config
  std::filesystem::path working_dir;
  std::optional<std::filesystem::path> xdg_config_home;  // unset or empty -> $HOME/.config
  std::optional<std::filesystem::path> home;

  [[nodiscard]] static search_paths from_environment(std::optional<std::filesystem::path> explicit_path = {});
};
// The files tried, in order: --config alone if given; else ./ccbt.toml,
// $XDG_CONFIG_HOME/ccbt/ccbt.toml (default ~/.config/ccbt/ccbt.toml), ~/.ccbt.toml.
[[nodiscard]] std::vector<std::filesystem::path> candidates(const search_paths& p);
// The first candidate that exists; none when no file exists (defaults apply). An explicit path that
// does not exist is an error (file_not_found).
[[nodiscard]] result<std::optional<std::filesystem::path>> find_file(const search_paths& p);

// Environment variables as name/value pairs (only CCBT_* ones matter).
using environment = std::vector<std::pair<std::string, std::string>>;
[[nodiscard]] environment process_environment();

// Applies CCBT_SECTION__KEY=value variables (section and key upper-cased, "__" between them).
// Variables named CCBT_* without "__" are not configuration and are ignored; an unknown
// CCBT_X__Y is a warning. A bad value is an error naming the variable and the key.
[[nodiscard]] result<void> apply_environment(loaded_config& c, const environment& env);
// Applies one `--set section.key=value`. Values are written as in the environment: true/false,
// 300, "16 MiB", rarest_first, a comma-separated or ["a", "b"] list.
[[nodiscard]] result<void> apply_override(loaded_config& c, std::string_view assignment);

struct load_options {
  std::optional<std::filesystem::path> config_path;  // --config
  std::vector<std::string> overrides;                // --set section.key=value, in order
  bool use_environment = true;
  std::optional<search_paths> search;                // default: search_paths::from_environment()
  std::optional<environment> env;                    // default: process_environment()
};
// Defaults <- the file found by find_file() <- environment <- overrides, then validate().
[[nodiscard]] result<loaded_config> load(const load_options& opts = {});
// Same, but reads the given file (used by the watcher, which already knows it).
[[nodiscard]] result<loaded_config> load_file(const std::filesystem::path& file, const load_options& opts = {});

// Ranges and the rules that tie keys together, for settings built in code.
[[nodiscard]] result<void> validate(const settings& s);

// ---- hot reload

struct settings_diff {
  std::vector<std::string> live;     // changed keys the session applies at once
  std::vector<std::string> restart;  // changed keys that take effect at the next start
  [[nodiscard]] bool empty() const noexcept { return live.empty() && restart.empty(); }
};
[[nodiscard]] settings_diff diff(const settings& before, const settings& after);
// `running` with every live key taken from `loaded`: what the session runs with after a reload.
[[nodiscard]] settings merge_live(const settings& running, const settings& loaded);

// ---- rendering

struct render_options {
  bool comments = true;      // each key preceded by its description, range and live/restart
  bool only_changed = false; // only keys that differ from the defaults
};
// A TOML document that parse() reads back to exactly `s`.
[[nodiscard]] std::string to_toml(const settings& s, const render_options& opts = {});
// The generated key tables of docs/configuration.md (one table per section).
[[nodiscard]] std::string reference_markdown();

// ---- watching the file

// Watches one file through its directory (so editors that replace it by rename are seen).
class file_watcher {
 public:
  enum class event : std::uint8_t { changed, timeout, interrupted };

  [[nodiscard]] static result<file_watcher> open(const std::filesystem::path& file);
  file_watcher(file_watcher&& o) noexcept;
  file_watcher& operator=(file_watcher&& o) noexcept;
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;
  ~file_watcher();

  // Blocks until the file is written, created, replaced or removed, the timeout passes, or
  // interrupt() is called (from any thread).
  [[nodiscard]] event wait_for_change(std::chrono::milliseconds timeout);
  void interrupt() noexcept;
  // The inotify descriptor, for callers that poll it in their own loop (then call wait_for_change(0)).
  [[nodiscard]] int fd() const noexcept { return inotify_fd_; }

 private:
  file_watcher() = default;
  void close_all() noexcept;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  // (watch descriptor, file name) per watched directory: the file's own directory, and the target's
  // directory when the file is a symbolic link.
  std::vector<std::pair<int, std::string>> watches_;
};

// What a reload did. On failure the running configuration is unchanged.
struct reload_report {
  std::optional<error> failure;       // why the edit was rejected
  settings running;                   // what to run with now (pass to session::apply_settings)
  settings_diff changes;              // live: applied now; restart: pending until the next start
  std::vector<diagnostic> warnings;

  [[nodiscard]] bool ok() const noexcept { return !failure.has_value(); }
  // Lines for the log and `btbt config reload`.
  [[nodiscard]] std::string summary() const;
};

// Reloads the configuration file when it changes, on a worker thread, and reports each reload to a
// callback (called on that thread: post to your own thread from it). Bursts of writes are
// coalesced: a reload happens once the file has been quiet for `debounce`.
class watcher {
 public:
  using callback = std::function<void(const reload_report&)>;

  // `initial` is what the program started with (from load()); opts are re-applied on every reload
  // so environment and --set overrides keep precedence over the file.
  [[nodiscard]] static result<std::unique_ptr<watcher>> start(
      loaded_config initial, load_options opts, callback cb,
      std::chrono::milliseconds debounce = std::chrono::milliseconds(100));
  ~watcher();
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;

  // Reloads now (`btbt config reload`); also calls the callback. Thread-safe.
  reload_report reload();
  [[nodiscard]] settings running() const;
  void stop();

 private:
  struct impl;
  explicit watcher(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace ccbt::config

template <>
struct std::is_error_code_enum<ccbt::config::errc> : std::true_type {};
